package backup

import (
	"strings"
	"testing"
)

// naiveMatch is what keywordSet.match computes, the slow way.
func naiveMatch(words []string, line string) uint64 {
	var found uint64
	for i, w := range words {
		if strings.Contains(line, w) {
			found |= 1 << uint(i)
		}
	}
	return found
}

func TestKeywordSet(t *testing.T) {
	words := []string{"secret", "password", "key", "key-string", "community", "md5", "sec", "ret", "authentication-key", "$9$", "pre-shared-key"}
	ks := newKeywordSet(words)
	for _, line := range []string{
		"", "username admin secret 5 $1$abc", " snmp-server community public RO", "ip ospf message-digest-key 1 md5 7 0822455D0A16",
		"  key-string 7 0822455D0A16", "authentication-key \"$9$abc\"; ## SECRET-DATA", "secre", "secr3t", "ret", "keykey",
		"crypto isakmp key pre-shared-key address 0.0.0.0", "no match at all here", "SECRET PASSWORD", "passwor", "pass word",
	} {
		if got, want := ks.match(line), naiveMatch(words, line); got != want {
			t.Errorf("match(%q) = %b, want %b", line, got, want)
		}
	}
	if got := newKeywordSet(nil).match("anything"); got != 0 {
		t.Errorf("empty set matched %b", got)
	}
}

func FuzzKeywordSet(f *testing.F) {
	f.Add("secret,password,key,key-string", "username a secret 5 x")
	f.Add("ab,b,abc,bc,c", "xxabcx")
	f.Add("aa,aaa,a", "aaaa")
	f.Fuzz(func(t *testing.T, list, line string) {
		var words []string
		for _, w := range strings.Split(list, ",") {
			if w != "" && len(words) < 64 {
				words = append(words, w)
			}
		}
		if got, want := newKeywordSet(words).match(line), naiveMatch(words, line); got != want {
			t.Errorf("words %q line %q: %b, want %b", words, line, got, want)
		}
	})
}
