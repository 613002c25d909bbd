package netboxtest

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// enc writes JSON objects with their keys in the order NetBox's serializers emit them.
type enc struct {
	buf   []byte
	first []bool
}

func (e *enc) comma() {
	n := len(e.first) - 1
	if n < 0 {
		return
	}
	if e.first[n] {
		e.first[n] = false
		return
	}
	e.buf = append(e.buf, ',')
}

func (e *enc) key(k string) {
	e.comma()
	e.buf = strconv.AppendQuote(e.buf, k)
	e.buf = append(e.buf, ':')
}

func (e *enc) open()  { e.buf = append(e.buf, '{'); e.first = append(e.first, true) }
func (e *enc) close() { e.buf = append(e.buf, '}'); e.first = e.first[:len(e.first)-1] }

func (e *enc) openKey(k string) { e.key(k); e.open() }

func (e *enc) str(k, v string) {
	e.key(k)
	e.buf = appendJSONString(e.buf, v)
}

// strOrNull writes null for "".
func (e *enc) strOrNull(k, v string) {
	if v == "" {
		e.null(k)
		return
	}
	e.str(k, v)
}

func (e *enc) int(k string, v int) {
	e.key(k)
	e.buf = strconv.AppendInt(e.buf, int64(v), 10)
}

func (e *enc) null(k string) {
	e.key(k)
	e.buf = append(e.buf, "null"...)
}

func (e *enc) bool(k string, v bool) {
	e.key(k)
	e.buf = strconv.AppendBool(e.buf, v)
}

func (e *enc) raw(k string, v []byte) {
	e.key(k)
	e.buf = append(e.buf, v...)
}

// any writes v with encoding/json (maps come out with sorted keys).
func (e *enc) any(k string, v any) {
	e.raw(k, marshal(v))
}

// marshal encodes v as Django REST framework's JSONRenderer does: compact, and without the
// HTML escaping of <, > and & that encoding/json applies by default.
func marshal(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return []byte("null")
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

func appendJSONString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x7f {
			return append(dst, marshal(s)...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}
