package lsp

import (
	"context"
	"os"
	"path/filepath"
	"strings"
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

// watchWithFsnotify watches the workspace roots with fsnotify.
func (s *server) watchWithFsnotify() {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		s.log.Warn("fsnotify", "error", err)
		return
	}
	for _, root := range s.session.snapshot().roots {
		_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil || !d.IsDir() {
				return nil
			}
			if n := d.Name(); p != root && (strings.HasPrefix(n, ".") || n == "node_modules") {
				return filepath.SkipDir
			}
			if err := w.Add(p); err != nil {
				s.log.Debug("watch", "dir", p, "error", err)
			}
			return nil
		})
	}
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
	if len(paths) > 0 {
		s.forgetIncludes()
	}
	for _, p := range paths {
		switch filepath.Base(p) {
		case "project.yaml", "stack.yaml", "kcl.yaml", "settings.yaml", "kcl.mod":
			s.forgetRepos()
		}
	}
	snap := s.session.filesChanged(paths)
	s.scheduleDiagnostics(snap, paths...)
}
