package gitstore

import (
	"bytes"
	"compress/zlib"
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/go-git/go-git/v5/plumbing"
)

// A run's new objects are written as one git packfile (with its .idx) at commit, instead of
// one loose object file per device: a file creation per object is what costs on a busy disk,
// and ten thousand loose objects per run would soon make git itself complain. Each object is
// compressed by the worker that stores it (in parallel) and kept compressed in memory until
// the commit (a 20 KB configuration takes 3 to 5 KB).

// packObject is an object waiting for the next pack.
type packObject struct {
	hash plumbing.Hash
	typ  plumbing.ObjectType
	size int
	z    []byte // zlib-compressed content (without the loose-object header)
}

// zlibPool holds the compressors of new objects, at zlib's best speed: git itself writes loose
// objects at that level (core.looseCompression), and a configuration compresses 2 to 4 times
// faster than at the default level for 10 to 25% more bytes (a later "git gc" repacks them).
var zlibPool = sync.Pool{New: func() any {
	zw, _ := zlib.NewWriterLevel(nil, zlib.BestSpeed) // the level is valid: no error
	return zw
}}

// newPackObject compresses content for a pack.
func newPackObject(t plumbing.ObjectType, content []byte, h plumbing.Hash) (packObject, error) {
	var buf bytes.Buffer
	buf.Grow(len(content)/4 + 64)
	zw := zlibPool.Get().(*zlib.Writer)
	zw.Reset(&buf)
	_, err := zw.Write(content)
	if cerr := zw.Close(); err == nil {
		err = cerr
	}
	zlibPool.Put(zw)
	if err != nil {
		return packObject{}, fmt.Errorf("gitstore: compress object %s: %w", h, err)
	}
	return packObject{hash: h, typ: t, size: len(content), z: slices.Clip(buf.Bytes())}, nil
}

// inflate decompresses a packObject's data.
func inflate(z []byte) ([]byte, error) {
	r, err := zlib.NewReader(bytes.NewReader(z))
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

// packHeader is an object's entry header: type and size, 7 bits per byte.
func packHeader(t plumbing.ObjectType, size int) []byte {
	b := []byte{byte(t)<<4 | byte(size&0x0f)}
	size >>= 4
	for size > 0 {
		b[len(b)-1] |= 0x80
		b = append(b, byte(size&0x7f))
		size >>= 7
	}
	return b
}

// writePack writes objs as objects/pack/pack-<sha>.pack and its version 2 index, each
// atomically (temporary file, fsync, rename), the index first (see below), then fsyncs the
// directory. Duplicate objects are written once.
func writePack(gitDir string, objs []packObject) error {
	slices.SortFunc(objs, func(a, b packObject) int { return bytes.Compare(a.hash[:], b.hash[:]) })
	objs = slices.CompactFunc(objs, func(a, b packObject) bool { return a.hash == b.hash })
	if len(objs) == 0 {
		return nil
	}
	size := 12 + 20
	for _, o := range objs {
		size += len(o.z) + 10
	}
	pack := make([]byte, 0, size)
	pack = append(pack, 'P', 'A', 'C', 'K', 0, 0, 0, 2)
	pack = binary.BigEndian.AppendUint32(pack, uint32(len(objs)))
	offsets := make([]uint64, len(objs))
	crcs := make([]uint32, len(objs))
	for i, o := range objs {
		offsets[i] = uint64(len(pack))
		start := len(pack)
		pack = append(pack, packHeader(o.typ, o.size)...)
		pack = append(pack, o.z...)
		crcs[i] = crc32.ChecksumIEEE(pack[start:])
	}
	packSum := sha1.Sum(pack)
	pack = append(pack, packSum[:]...)

	idx := make([]byte, 0, 8+256*4+len(objs)*(20+4+4)+40)
	idx = append(idx, 0xff, 't', 'O', 'c', 0, 0, 0, 2)
	var fanout [256]uint32
	for _, o := range objs {
		fanout[o.hash[0]]++
	}
	var cum uint32
	for i := range fanout {
		cum += fanout[i]
		idx = binary.BigEndian.AppendUint32(idx, cum)
	}
	for _, o := range objs {
		idx = append(idx, o.hash[:]...)
	}
	for _, c := range crcs {
		idx = binary.BigEndian.AppendUint32(idx, c)
	}
	var large []uint64
	for _, off := range offsets {
		if off < 1<<31 {
			idx = binary.BigEndian.AppendUint32(idx, uint32(off))
		} else {
			idx = binary.BigEndian.AppendUint32(idx, 1<<31|uint32(len(large)))
			large = append(large, off)
		}
	}
	for _, off := range large {
		idx = binary.BigEndian.AppendUint64(idx, off)
	}
	idx = append(idx, packSum[:]...)
	idxSum := sha1.Sum(idx)
	idx = append(idx, idxSum[:]...)

	dir := filepath.Join(gitDir, "objects", "pack")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("gitstore: pack: %w", err)
	}
	name := fmt.Sprintf("pack-%x", packSum)
	// The index first: git finds packs by their .idx and skips one whose .pack is missing, and
	// go-git finds them by their .pack and fails on one whose .idx is missing. Either way, a
	// crash between the two renames leaves nothing a reader trips on (and Open removes it).
	if err := writeFileNoDirSync(dir, name+".idx", idx); err != nil {
		return err
	}
	if err := writeFileNoDirSync(dir, name+".pack", pack); err != nil {
		return err
	}
	return syncDir(dir)
}
