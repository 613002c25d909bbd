package gitstore

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/index"
)

// What a crash can leave, and who removes it (Open, through the two functions below):
//
//   - temporary files (.norn-tmp-*) in the root, configs/, the git directory or objects/pack:
//     removed;
//   - a pack index written without its pack (the crash came between the two renames): removed; a
//     complete pack the branch never came to name holds unreferenced objects, which git
//     ignores ("git fsck" calls them dangling) and "git gc" prunes;
//   - device files renamed into configs/ by a run that never committed them: put back to the
//     last commit's content, or removed when the last commit has none;
//   - an index written before the crash's commit moved the branch, or not at all: rewritten;
//   - the status file: replaced atomically, so the old one or the new one, and the new one
//     only ever after the commit it describes.

// removeLeftovers removes the temporary files and pack indexes without a pack a crashed run
// left.
func (s *Store) removeLeftovers() error {
	packDir := filepath.Join(s.gitDir, "objects", "pack")
	// refs/heads: earlier versions made the branch's temporary file there.
	for _, d := range []string{s.dir, s.cfgDir, s.gitDir, packDir, filepath.Join(s.gitDir, "refs", "heads")} {
		if _, err := removeTemps(d); err != nil {
			return err
		}
	}
	ents, err := os.ReadDir(packDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("gitstore: %s: %w", packDir, err)
	}
	names := map[string]bool{}
	for _, e := range ents {
		names[e.Name()] = true
	}
	for name := range names {
		base, ok := strings.CutSuffix(name, ".idx")
		if !ok || !strings.HasPrefix(base, "pack-") || names[base+".pack"] {
			continue
		}
		if err := os.Remove(filepath.Join(packDir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("gitstore: remove pack index without a pack %s: %w", filepath.Join(packDir, name), err)
		}
	}
	return nil
}

// repairWorkTree makes configs/ hold exactly the last commit's device files, and the index
// describe them. A file whose size and modification time match its index entry is taken as
// is (as git does); any other is read and compared by content, so an intact repository costs
// one directory read.
func (s *Store) repairWorkTree() error {
	ents, err := os.ReadDir(s.cfgDir)
	if err != nil {
		return fmt.Errorf("gitstore: %s: %w", s.cfgDir, err)
	}
	changed := false
	seen := make(map[string]bool, len(ents))
	for _, e := range ents {
		name := e.Name()
		if !e.Type().IsRegular() {
			continue // a directory or a link: not the store's
		}
		seen[name] = true
		path := filepath.Join(s.cfgDir, name)
		fe, ok := s.files[name]
		if !ok {
			// Written by a run that never committed it.
			if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("gitstore: remove uncommitted %s: %w", path, err)
			}
			changed = true
			continue
		}
		info, err := e.Info()
		if err != nil {
			return fmt.Errorf("gitstore: %s: %w", path, err)
		}
		if fe.size == info.Size() && fe.mtime.Equal(info.ModTime()) && !fe.mtime.IsZero() {
			continue
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("gitstore: %s: %w", path, err)
		}
		if blobHash(b) != fe.hash {
			if err := s.restore(name, fe); err != nil {
				return err
			}
			changed = true
			continue
		}
		fe.size, fe.mtime = info.Size(), info.ModTime()
		s.files[name] = fe
		s.indexStale = true // refresh its stat data
	}
	for name, fe := range s.files {
		if !seen[name] {
			if err := s.restore(name, fe); err != nil {
				return err
			}
			changed = true
		}
	}
	if changed {
		if err := syncDir(s.cfgDir); err != nil {
			return err
		}
	}
	if s.statusDirty {
		// The status of an earlier version: now in the git directory.
		if err := s.SaveStatus(); err != nil {
			return err
		}
		if !s.legacy {
			if err := os.Remove(filepath.Join(s.dir, legacyStatusFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("gitstore: %w", err)
			}
		}
	}
	if !changed && !s.indexStale {
		return nil
	}
	entries := make([]*index.Entry, 0, len(s.files)+len(s.indexOther))
	for name, fe := range s.files {
		entries = append(entries, &index.Entry{
			Name: ConfigsDir + "/" + name, Hash: fe.hash, Mode: filemode.Regular,
			Size: uint32(max(fe.size, 0)), ModifiedAt: fe.mtime, CreatedAt: fe.mtime,
		})
	}
	entries = append(entries, s.indexOther...)
	if s.legacy && s.legacyIndex != nil {
		entries = append(entries, s.legacyIndex)
	}
	if err := s.writeIndex(entries); err != nil {
		return fmt.Errorf("gitstore: %s: index: %w", s.dir, err)
	}
	s.indexStale = false
	return nil
}

// restore writes the committed content of configs/name back to the work tree.
func (s *Store) restore(name string, fe fileEntry) error {
	blob, err := s.repo.BlobObject(fe.hash)
	if err != nil {
		return fmt.Errorf("gitstore: %s: restore %s/%s: blob %s: %w", s.dir, ConfigsDir, name, fe.hash, err)
	}
	r, err := blob.Reader()
	if err != nil {
		return fmt.Errorf("gitstore: %s: restore %s/%s: %w", s.dir, ConfigsDir, name, err)
	}
	b, err := io.ReadAll(r)
	r.Close()
	if err != nil {
		return fmt.Errorf("gitstore: %s: restore %s/%s: %w", s.dir, ConfigsDir, name, err)
	}
	if err := writeFileNoDirSync(s.cfgDir, name, b); err != nil {
		return err
	}
	st, err := os.Stat(filepath.Join(s.cfgDir, name))
	if err != nil {
		return fmt.Errorf("gitstore: %w", err)
	}
	fe.size, fe.mtime = st.Size(), st.ModTime()
	s.files[name] = fe
	return nil
}
