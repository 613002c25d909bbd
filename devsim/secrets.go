package devsim

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strings"
)

// The secrets in generated configurations look like the real ones (type 7, type 5/8/9 hashes,
// sha512-crypt, Junos $9$), so that redaction and secret detection are exercised on realistic
// text. They are derived from a hash of the plain text and a salt from the seed; only type 7
// (a reversible obfuscation) is the real encoding.

const cryptAlphabet = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// type7Key is the fixed key of Cisco's reversible "type 7" password encoding.
const type7Key = "dsfd;kfoA,.iyewrkldJKDHSUBsgvca69834ncxv9873254k;fg87"

// type7 encodes plain with Cisco's type 7 algorithm, starting at key offset salt (0-15).
func type7(plain string, salt int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%02d", salt)
	for i := 0; i < len(plain); i++ {
		fmt.Fprintf(&b, "%02X", plain[i]^type7Key[(salt+i)%len(type7Key)])
	}
	return b.String()
}

// cryptChars derives n characters of the crypt alphabet from parts.
func cryptChars(n int, parts ...string) string {
	var out []byte
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	sum := h.Sum(nil)
	for len(out) < n {
		for _, c := range sum {
			if len(out) == n {
				break
			}
			out = append(out, cryptAlphabet[int(c)%len(cryptAlphabet)])
		}
		h.Write(sum)
		sum = h.Sum(nil)
	}
	return string(out)
}

// secretType9 is an IOS "secret 9" (scrypt) value.
func secretType9(plain, salt string) string {
	s := cryptChars(14, "salt9", salt)
	return "$9$" + s + "$" + cryptChars(43, "type9", plain, s)
}

// secretType5 is an MD5-crypt value ($1$), IOS "secret 5" and IOS-XR "secret 5".
func secretType5(plain, salt string) string {
	s := cryptChars(4, "salt5", salt)
	return "$1$" + s + "$" + cryptChars(22, "type5", plain, s)
}

// secretSHA256 is a sha256-crypt value ($5$), NX-OS "password 5".
func secretSHA256(plain, salt string) string {
	s := cryptChars(6, "salt256", salt)
	return "$5$" + s + "$" + cryptChars(43, "sha256", plain, s)
}

// secretSHA512 is a sha512-crypt value ($6$), EOS "secret sha512" and Junos
// "encrypted-password".
func secretSHA512(plain, salt string) string {
	s := cryptChars(16, "salt512", salt)
	return "$6$" + s + "$" + cryptChars(86, "sha512", plain, s)
}

// junos9 is a Junos "$9$" obfuscated secret.
func junos9(plain, salt string) string {
	const alpha = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789./-"
	raw := cryptChars(8+2*len(plain), "junos9", plain, salt)
	b := []byte(raw)
	for i := range b {
		b[i] = alpha[int(b[i])%len(alpha)]
	}
	return "$9$" + string(b)
}

// hexSecret is a hex string (SNMPv3 localized keys, NX-OS "password 3").
func hexSecret(n int, parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
	}
	s := hex.EncodeToString(h.Sum(nil))
	for len(s) < n {
		s += s
	}
	return s[:n]
}

// plainSecret draws a password-like string (for the plain texts behind generated hashes and
// for SNMP communities, which devices show in clear text).
func plainSecret(rng *rand.Rand, n int) string {
	const alpha = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = alpha[rng.IntN(len(alpha))]
	}
	return string(b)
}
