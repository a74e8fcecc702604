package lsp

import (
	"context"
	"encoding/json"

	"go.lsp.dev/protocol"
)

// pullConfiguration asks the client for the `konfig` settings section
// (workspace/configuration) when it supports that, and applies them.
func (s *server) pullConfiguration(ctx context.Context) {
	s.mu.Lock()
	can := s.clientConfiguration
	s.mu.Unlock()
	if !can {
		return
	}
	section := "konfig"
	res, err := s.client.Configuration(ctx, &protocol.ConfigurationParams{Items: []protocol.ConfigurationItem{{Section: &section}}})
	if err != nil || len(res) == 0 || len(res[0]) == 0 || string(res[0]) == "null" {
		if err != nil {
			s.log.Warn("workspace/configuration", "error", err)
		}
		return
	}
	s.applyRawSettings(res[0])
}

// applyRawSettings replaces the current settings with a JSON settings
// object: as in workspace/configuration, the object is the whole section, so
// a setting it leaves out goes back to its default (a client that removes
// `disableApply` from its settings turns apply back on).
func (s *server) applyRawSettings(raw []byte) {
	var o initOptions
	if err := json.Unmarshal(raw, &o); err != nil {
		s.log.Warn("ignoring malformed settings", "error", err)
		return
	}
	s.applySettings(o)
}

// DidChangeConfiguration applies pushed settings (a `konfig` object, or the
// settings themselves), then pulls them when the client supports it.
func (s *server) DidChangeConfiguration(ctx context.Context, params *protocol.DidChangeConfigurationParams) error {
	if len(params.Settings) > 0 && string(params.Settings) != "null" {
		var wrapped struct {
			Konfig json.RawMessage `json:"konfig"`
		}
		if json.Unmarshal(params.Settings, &wrapped) == nil && len(wrapped.Konfig) > 0 {
			s.applyRawSettings(wrapped.Konfig)
		} else {
			s.applyRawSettings(params.Settings)
		}
	}
	// Pull in the background: a request to the client from inside a
	// notification handler would hold up the message loop.
	s.goBackground(func(bg context.Context) { s.pullConfiguration(bg) })
	return nil
}
