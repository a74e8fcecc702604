package lsp

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"
	"go.lsp.dev/protocol"
)

// watchFiles arranges to hear about changes made outside the editor: through
// the client (dynamic registration of workspace/didChangeWatchedFiles) when
// it can watch, else through fsnotify on the workspace roots.
func (s *server) watchFiles() {
	s.mu.Lock()
	canWatch := s.clientCanWatch
	s.mu.Unlock()
	if canWatch {
		// A request to the client must not run on the message loop (its
		// answer is read there): register from the background.
		s.goBackground(func(bg context.Context) {
			kind := protocol.WatchKindCreate | protocol.WatchKindChange | protocol.WatchKindDelete
			opts := protocol.DidChangeWatchedFilesRegistrationOptions{Watchers: []protocol.FileSystemWatcher{
				{GlobPattern: protocol.Pattern("**/*.k"), Kind: kind},
				{GlobPattern: protocol.Pattern("**/*.{yaml,yml}"), Kind: kind},
				{GlobPattern: protocol.Pattern("**/kcl.mod"), Kind: kind},
			}}
			raw, err := protocol.Marshal(&opts)
			if err == nil {
				err = s.client.RegisterCapability(bg, &protocol.RegistrationParams{Registrations: []protocol.Registration{{
					ID: "konfig-watch", Method: "workspace/didChangeWatchedFiles", RegisterOptions: raw}}})
			}
			s.log.Debug("file watchers registered with the client", "error", err)
			if err != nil && bg.Err() == nil {
				s.log.Warn("client file watching failed; using fsnotify", "error", err)
				s.watchWithFsnotify()
			}
		})
		return
	}
	s.watchWithFsnotify()
}

// watchWithFsnotify watches the workspace roots with fsnotify: one
// inotify watch per directory, added in the background (a large tree has
// tens of thousands of directories: the walk must not hold up the message
// loop, nor the first diagnostics). A directory that cannot be watched (the
// inotify limit, fs.inotify.max_user_watches, is reached) is told to the
// user once, with how many were left unwatched.
func (s *server) watchWithFsnotify() {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		s.log.Warn("fsnotify", "error", err)
		s.warnWatch(fmt.Sprintf("konfig-lsp cannot watch the workspace for changes made outside the editor (%v): "+
			"diagnostics follow the files you edit in the editor only.", err))
		return
	}
	add := s.sched.watchAdd
	if add == nil {
		add = func(w *fsnotify.Watcher, dir string) error { return w.Add(dir) }
	}
	roots := s.session.snapshot().roots
	s.goBackground(func(bg context.Context) {
		start := time.Now()
		var failed, watched int
		var first error
		for _, root := range roots {
			_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
				if bg.Err() != nil {
					return filepath.SkipAll
				}
				if err != nil || !d.IsDir() {
					return nil
				}
				if n := d.Name(); p != root && (strings.HasPrefix(n, ".") || n == "node_modules") {
					return filepath.SkipDir
				}
				if err := add(w, p); err != nil {
					failed++
					if first == nil {
						first = fmt.Errorf("%s: %w", p, err)
					}
					s.log.Debug("watch", "dir", p, "error", err)
				} else {
					watched++
				}
				return nil
			})
		}
		s.log.Debug("fsnotify watches added", "dirs", watched, "failed", failed, "elapsed", time.Since(start))
		if failed > 0 && bg.Err() == nil {
			s.log.Warn("fsnotify: directories not watched", "count", failed, "first", first)
			msg := fmt.Sprintf("konfig-lsp could not watch %d of %d directories of the workspace for changes made outside the editor (%v)", failed, failed+watched, first)
			if errors.Is(first, syscall.ENOSPC) || errors.Is(first, syscall.EMFILE) {
				msg += "; the inotify limit is reached: raise it with `sysctl fs.inotify.max_user_watches=524288`"
			}
			s.warnWatch(msg + ". Changes there are seen when the files are opened in the editor.")
		}
	})
	s.goBackground(func(bg context.Context) {
		defer w.Close()
		// Batch events: a `git checkout` touching many files makes one run.
		var pending []string
		var timer <-chan time.Time
		for {
			select {
			case <-bg.Done():
				return
			case ev, ok := <-w.Events:
				if !ok {
					return
				}
				if ev.Has(fsnotify.Create) {
					if fi, err := os.Stat(ev.Name); err == nil && fi.IsDir() {
						_ = w.Add(ev.Name)
					}
				}
				if relevant(ev.Name) {
					pending = append(pending, ev.Name)
					if timer == nil {
						timer = time.After(100 * time.Millisecond)
					}
				}
			case err, ok := <-w.Errors:
				if !ok {
					return
				}
				s.log.Warn("fsnotify", "error", err)
			case <-timer:
				timer = nil
				s.filesChanged(pending)
				pending = nil
			}
		}
	})
}

// warnWatch shows msg to the user, once per session.
func (s *server) warnWatch(msg string) {
	if !s.sched.watchWarned.CompareAndSwap(false, true) {
		return
	}
	if err := s.client.ShowMessage(context.WithoutCancel(s.bg), &protocol.ShowMessageParams{Type: protocol.MessageTypeWarning, Message: msg}); err != nil {
		s.log.Warn("showing the watch warning", "error", err)
	}
}

func relevant(p string) bool {
	switch filepath.Ext(p) {
	case ".k", ".yaml", ".yml", ".mod":
		return true
	}
	return false
}

// filesChanged handles files changed outside the editor: the repository
// model is rediscovered when a project, stack or settings file changed, and
// the diagnostics of the affected stacks are recomputed.
func (s *server) filesChanged(paths []string) {
	s.indexFilesChanged(paths)
	for _, p := range paths {
		switch filepath.Base(p) {
		case "project.yaml", "stack.yaml", "kcl.yaml", "settings.yaml", "kcl.mod":
			s.forgetRepos()
		}
	}
	snap := s.session.filesChanged(paths)
	s.scheduleDiagnostics(snap, paths...)
}
