package value

import (
	"context"
	"fmt"
	"math"
	"strings"
)

// DefaultMaxMemory is the memory budget of an evaluation when none is
// given: 256 MiB.
const DefaultMaxMemory int64 = 256 << 20

// Estimated sizes, in bytes, of what the operations of this package build;
// the Budget counts with them. They were measured (runtime.MemStats) on
// Go 1.26, amd64: a dict of k entries allocates about 340 bytes for k = 1,
// 630 for k = 4, 1000 for k = 8 and 3300 for k = 16 (its index map grows
// by groups), a list 24 bytes plus 16 per item and 8 more per boxed
// number. They err on the large side for small values.
const (
	SizeScalar    = 16  // a scalar in an interface (or a list slot)
	SizeList      = 32  // a list header
	SizeListItem  = 24  // one list item (slot and boxed scalar)
	SizeDict      = 320 // a dict header, its index map and first group
	SizeDictEntry = 160 // one dict entry and its index slot
	SizeSchema    = 192 // a schema instance without its attributes
	SizeStr       = 16  // a string header, plus its bytes
)

// Budget bounds what one evaluation builds: it counts the estimated bytes of
// the values made as they are made (lists, dicts, strings, schema instances,
// copies, unions, decoded documents, planned output and encoded text), so a
// structure shared by several values is counted once per copy, plan or
// encoding of it, as if it were expanded. The count only grows: memory
// released by the garbage collector is not given back, so the budget also
// bounds the total work.
//
// A Budget also polls a context every 256 KiB charged, so that long
// operations of this package (a deep copy, planning or encoding a large
// value) stop when the evaluation is cancelled or times out.
//
// A nil *Budget is unlimited and never stops. A Budget is not safe for
// concurrent use: an evaluation runs on one goroutine.
type Budget struct {
	ctx   context.Context
	limit int64
	used  int64
	next  int64 // Charge looks at the limit and ctx once used passes it
	steps uint32
	err   error
}

// pollBytes is how many bytes a Budget counts between two looks at its
// context.
const pollBytes = 256 << 10

// NewBudget returns a Budget of limit bytes (limit <= 0: no limit) that
// stops when ctx is done.
func NewBudget(ctx context.Context, limit int64) *Budget {
	if limit <= 0 {
		limit = math.MaxInt64
	}
	return &Budget{ctx: ctx, limit: limit, next: min(limit, pollBytes)}
}

// BudgetError is the error of a Budget whose limit was reached.
type BudgetError struct {
	// Limit is the budget in bytes.
	Limit int64
}

func (e *BudgetError) Error() string {
	return fmt.Sprintf("memory budget exceeded: the values built need more than %s", FormatBytes(e.Limit))
}

// Charge counts n more bytes. It returns false once the budget is spent or
// its context is done; Err then says which. Operations that get false stop
// building and return what they have (or an error).
func (b *Budget) Charge(n int64) bool {
	if b == nil {
		return true
	}
	b.used += n
	if b.used > b.next {
		return b.slow()
	}
	return true
}

// Step counts one step of work that builds nothing (a comparison in a
// long loop): every 65536 steps it looks at the context. It returns false
// once the budget is spent or the context done, as Charge does.
func (b *Budget) Step() bool {
	if b == nil {
		return true
	}
	b.steps++
	if b.steps&0xffff == 0 || b.err != nil {
		return b.slow()
	}
	return true
}

// slow checks the limit and the context, and sets the next threshold.
func (b *Budget) slow() bool {
	if b.err != nil {
		return false
	}
	if b.used > b.limit {
		b.stop(&BudgetError{Limit: b.limit})
		return false
	}
	if b.ctx != nil {
		if err := b.ctx.Err(); err != nil {
			b.stop(err)
			return false
		}
	}
	b.next = b.limit
	if b.used < b.limit-pollBytes {
		b.next = b.used + pollBytes
	}
	return true
}

// stop makes the budget refuse every further charge with err.
func (b *Budget) stop(err error) {
	b.err = err
	b.next = math.MinInt64
}

// Err returns nil while the budget holds, a *BudgetError once the limit was
// reached, or the context's error once it was done (as seen by Charge).
func (b *Budget) Err() error {
	if b == nil {
		return nil
	}
	return b.err
}

// Used returns the bytes counted so far.
func (b *Budget) Used() int64 {
	if b == nil {
		return 0
	}
	return b.used
}

// Limit returns the budget in bytes (math.MaxInt64 when unlimited).
func (b *Budget) Limit() int64 {
	if b == nil {
		return math.MaxInt64
	}
	return b.limit
}

// FormatBytes prints n bytes with a binary unit: "256 MiB", "1.5 GiB",
// "512 B".
func FormatBytes(n int64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	f := float64(n)
	i := 0
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	if f == math.Trunc(f) {
		return fmt.Sprintf("%d %s", int64(f), units[i])
	}
	return fmt.Sprintf("%.1f %s", f, units[i])
}

// SizeOf returns the estimated size of v's top level: a list's header and
// slots, a dict's header and entries, a string's bytes; the values inside a
// list or dict are not counted (see Copy and Plan for deep counts).
func SizeOf(v Value) int64 {
	switch x := v.(type) {
	case Str:
		return SizeStr + int64(len(x))
	case *List:
		return SizeList + SizeListItem*int64(len(x.Items))
	case *Dict:
		return SizeDict + SizeDictEntry*int64(x.Len())
	case *Schema:
		n := int64(SizeSchema)
		if x.Attrs != nil {
			n += SizeDict + SizeDictEntry*int64(x.Attrs.Len())
		}
		return n
	}
	return SizeScalar
}

// budgetWriter is text being built under a budget (the output of
// EncodeJSON, the text of ToStr).
type budgetWriter struct {
	strings.Builder
	budget     *Budget
	capCharged int // the capacity of the text last charged
}

// spend charges n bytes about to be written and, when the buffer has grown
// since the last charge, its new capacity (each growth allocates a new
// buffer: the charges add up to what was allocated); false when the
// budget refuses.
func (b *budgetWriter) spend(n int) bool {
	if b.budget == nil {
		return true
	}
	c := int64(n)
	if b.Cap() != b.capCharged {
		c += int64(b.Cap())
		b.capCharged = b.Cap()
	}
	return b.budget.Charge(c)
}
