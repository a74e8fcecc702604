package state

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sync"
	"time"
)

// encoder writes a State as json.MarshalIndent(s, "", "  ") does, byte for
// byte, but keeps the encoding of each resource record between writes: an
// operation writes the whole state again and again as resources finish (at
// most every 50 ms, engine.stateWriteInterval), and re-encoding all N
// records each time made the writes O(N²) (with a write per resource, half
// of an apply's CPU on 200 resources). A record is encoded again only when
// it was replaced.
type encoder struct {
	mu    sync.Mutex
	cache map[string]encoded // by resource id
}

// encoded is the indented JSON of one record and what it was made from.
// Records are never mutated after State.Put (see Clone), so the same
// attribute, extension and dependency values at the same time and type
// encode the same.
type encoded struct {
	key  recordKey
	data []byte
}

type recordKey struct {
	typ        string
	appliedAt  time.Time
	attributes uintptr
	extensions uintptr
	dependsOn  uintptr
	deps       int
}

func keyOf(r *Resource) recordKey {
	return recordKey{
		typ:        r.Type,
		appliedAt:  r.AppliedAt,
		attributes: reflect.ValueOf(r.Attributes).Pointer(),
		extensions: reflect.ValueOf(r.Extensions).Pointer(),
		dependsOn:  reflect.ValueOf(r.DependsOn).Pointer(),
		deps:       len(r.DependsOn),
	}
}

// recordIndent is the prefix of a record's lines inside the file: records
// are elements of "resources", two levels deep.
const recordIndent = "    "

// encode returns the file content of s (without the final newline).
func (e *encoder) encode(s *State) ([]byte, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.cache == nil {
		e.cache = map[string]encoded{}
	}
	var head struct {
		Version   int       `json:"version"`
		Serial    int       `json:"serial"`
		CreatedAt time.Time `json:"createdAt"`
		UpdatedAt time.Time `json:"updatedAt"`
	}
	head.Version, head.Serial, head.CreatedAt, head.UpdatedAt = s.Version, s.Serial, s.CreatedAt, s.UpdatedAt
	h, err := json.MarshalIndent(head, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode state: %w", err)
	}
	var b bytes.Buffer
	b.Write(h[:len(h)-2]) // up to the last field, without "\n}"
	b.WriteString(",\n  \"resources\": ")
	switch {
	case s.Resources == nil:
		b.WriteString("null")
	case len(s.Resources) == 0:
		b.WriteString("[]")
	default:
		b.WriteString("[")
		seen := make(map[string]bool, len(s.Resources))
		for i := range s.Resources {
			r := &s.Resources[i]
			k := keyOf(r)
			c, ok := e.cache[r.ID]
			if !ok || c.key != k || seen[r.ID] {
				data, err := json.MarshalIndent(r, recordIndent, "  ")
				if err != nil {
					return nil, fmt.Errorf("encode state record %s: %w", r.ID, err)
				}
				c = encoded{key: k, data: data}
				if !seen[r.ID] {
					e.cache[r.ID] = c
				}
			}
			seen[r.ID] = true
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString("\n" + recordIndent)
			b.Write(c.data)
		}
		b.WriteString("\n  ]")
		for id := range e.cache {
			if !seen[id] {
				delete(e.cache, id)
			}
		}
	}
	b.WriteString("\n}")
	return b.Bytes(), nil
}

// Encoder encodes states for saving, as Store does (indented JSON, each
// resource's encoding kept between saves while it does not change); other
// backends use it. The zero value is ready; it is not safe for concurrent
// use.
type Encoder struct{ e encoder }

// Encode returns the JSON of s.
func (x *Encoder) Encode(s *State) ([]byte, error) { return x.e.encode(s) }
