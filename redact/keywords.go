package redact

// keywordSet finds which of up to 64 keywords occur in a line in one pass over its bytes (an
// Aho-Corasick automaton), so that a rule's regular expression runs only on the few lines that
// hold the rule's keyword. With fold, ASCII letters match either case.
type keywordSet struct {
	next [][256]int32 // goto/fail-resolved transitions per state
	out  []uint64     // keywords ending at each state (bit i: keyword i)
}

func lowerByte(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func newKeywordSet(words []string, fold bool) *keywordSet {
	ks := &keywordSet{next: make([][256]int32, 1), out: make([]uint64, 1)}
	for i := range ks.next[0] {
		ks.next[0][i] = -1
	}
	for wi, w := range words {
		if wi >= 64 {
			break
		}
		s := int32(0)
		for j := 0; j < len(w); j++ {
			c := w[j]
			if fold {
				c = lowerByte(c)
			}
			if ks.next[s][c] < 0 {
				ks.next = append(ks.next, [256]int32{})
				ks.out = append(ks.out, 0)
				n := int32(len(ks.next) - 1)
				for k := range ks.next[n] {
					ks.next[n][k] = -1
				}
				ks.next[s][c] = n
			}
			s = ks.next[s][c]
		}
		ks.out[s] |= 1 << uint(wi)
	}
	// Breadth-first: resolve missing transitions through the failure links.
	fail := make([]int32, len(ks.next))
	queue := make([]int32, 0, len(ks.next))
	for c := 0; c < 256; c++ {
		if n := ks.next[0][c]; n > 0 {
			fail[n] = 0
			queue = append(queue, n)
		} else {
			ks.next[0][c] = 0
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		ks.out[s] |= ks.out[fail[s]]
		for c := 0; c < 256; c++ {
			if n := ks.next[s][c]; n >= 0 {
				fail[n] = ks.next[fail[s]][c]
				queue = append(queue, n)
			} else {
				ks.next[s][c] = ks.next[fail[s]][c]
			}
		}
	}
	if fold {
		// Upper-case letters move like their lower-case forms.
		for s := range ks.next {
			for c := 'A'; c <= 'Z'; c++ {
				ks.next[s][c] = ks.next[s][c+'a'-'A']
			}
		}
	}
	return ks
}

// match returns the set of keywords found in line.
func (ks *keywordSet) match(line string) uint64 {
	var found uint64
	s := int32(0)
	for i := 0; i < len(line); i++ {
		s = ks.next[s][line[i]]
		found |= ks.out[s]
	}
	return found
}
