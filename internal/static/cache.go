package static

import (
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// lookup finds the resource for the cleaned path p. It returns the entry and
// 0, or nil and a status: 404 missing or not servable, 413 over maxFile
// (answered 500 "File too large"), 500 unreadable. A cached entry is served
// without touching the file system unless it was last compared with its file
// at least recheckEvery ago.
func (s *Responder) lookup(p []byte) (*entry, int) {
	if s.root == nil {
		if string(p) == "/" || string(p) == "/index.html" {
			return s.page, 0
		}
		return nil, 404
	}
	now := time.Now()
	s.mu.RLock()
	e := s.cache[string(p)] // does not allocate
	fresh := e != nil && now.Sub(e.checked) < s.recheck
	s.mu.RUnlock()
	if fresh {
		return e, 0
	}
	return s.load(string(p), e, now)
}

// load opens the file for path key (re)validating the cached entry old, and
// updates the cache. It runs at most once a second per cached path, and on
// every request for paths that are missing or not cacheable.
func (s *Responder) load(key string, old *entry, now time.Time) (*entry, int) {
	name := strings.Trim(key, "/")
	if name == "" {
		name = "."
	}
	f, fi, status := s.open(name)
	if status == 0 && fi.IsDir() {
		f.Close()
		name = strings.TrimPrefix(name+"/index.html", "./")
		f, fi, status = s.open(name)
		if status == 0 && fi.IsDir() {
			f.Close()
			status = 404
		}
	}
	if status != 0 {
		if old != nil {
			s.drop(key, old)
		}
		return nil, status
	}
	defer f.Close()

	if old != nil && old.modTime.Equal(fi.ModTime()) && old.size == fi.Size() {
		s.mu.Lock()
		old.checked = now
		s.mu.Unlock()
		return old, 0
	}
	size := fi.Size()
	if size > int64(s.maxFile) {
		return nil, 413
	}
	etag := `"` + strconv.FormatInt(fi.ModTime().UnixNano(), 16) + "-" + strconv.FormatInt(size, 16) + `"`
	if size > int64(s.maxCachedFile) {
		// Too large to cache: nothing is read here (HEAD and 304 need only the metadata);
		// a GET reads the file as it is sent (Body).
		if old != nil {
			s.drop(key, old)
		}
		e := newSizedEntry(name, nil, size, etag, fi.ModTime())
		e.checked = now
		return e, 0
	}
	body := make([]byte, size)
	n, err := io.ReadFull(f, body)
	s.read.Add(int64(n))
	if err != nil {
		return nil, 500
	}
	e := newEntry(name, body, etag, fi.ModTime())
	e.checked = now
	s.store(key, e)
	return e, 0
}

// open opens a regular file or directory under the root. Every failure to
// open (missing, permission, a path escaping the root, a non-directory on the
// way) is 404, as is anything but a regular file or directory. O_NONBLOCK
// keeps a FIFO from blocking the event loop in open(2).
func (s *Responder) open(name string) (*os.File, fs.FileInfo, int) {
	f, err := s.root.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, nil, 404
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, 500
	}
	if !fi.Mode().IsRegular() && !fi.IsDir() {
		f.Close()
		return nil, nil, 404
	}
	return f, fi, 0
}

// store publishes e for key, replacing what was there and evicting other entries while
// the total would exceed maxCacheBytes. Eviction is arbitrary (map order):
// the cache is there to keep the loop off the disk for a small site, not to
// be clever about a big one.
func (s *Responder) store(key string, e *entry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur := s.cache[key]; cur != nil {
		s.total -= len(cur.body)
		delete(s.cache, key)
	}
	for k, v := range s.cache {
		if s.total+len(e.body) <= s.maxCacheBytes {
			break
		}
		s.total -= len(v.body)
		delete(s.cache, k)
	}
	if s.total+len(e.body) > s.maxCacheBytes {
		return // bigger than the whole cache: serve it uncached
	}
	s.cache[key] = e
	s.total += len(e.body)
}

// drop removes key from the cache if it still holds old.
func (s *Responder) drop(key string, old *entry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cache[key] == old {
		s.total -= len(old.body)
		delete(s.cache, key)
	}
}
