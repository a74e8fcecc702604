package kclrun

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/value"
)

// DefaultTimeout is the default of --timeout on every command that
// evaluates KCL (run, compile, check, preview, apply).
const DefaultTimeout = 60 * time.Second

// ParseSize reads a size in bytes: a number with an optional unit, binary
// (Ki, Mi, Gi, Ti, optionally followed by B) or decimal (K, M, G, T, kB,
// MB, GB, TB), case-insensitive: "256MiB", "512Mi", "1GB", "300000000".
// "0", "none" and "unlimited" give 0.
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	switch strings.ToLower(t) {
	case "none", "unlimited":
		return 0, nil
	}
	i := len(t)
	for i > 0 && !(t[i-1] >= '0' && t[i-1] <= '9' || t[i-1] == '.') {
		i--
	}
	num, unit := t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f < 0 {
		return 0, fmt.Errorf("invalid size %q (want a number of bytes with an optional unit such as 256MiB or 1GB)", s)
	}
	mult := map[string]float64{
		"": 1, "b": 1,
		"k": 1e3, "kb": 1e3, "ki": 1 << 10, "kib": 1 << 10,
		"m": 1e6, "mb": 1e6, "mi": 1 << 20, "mib": 1 << 20,
		"g": 1e9, "gb": 1e9, "gi": 1 << 30, "gib": 1 << 30,
		"t": 1e12, "tb": 1e12, "ti": 1 << 40, "tib": 1 << 40,
	}[unit]
	if mult == 0 {
		return 0, fmt.Errorf("invalid size %q: unknown unit %q (B, KiB, MiB, GiB, TiB, kB, MB, GB, TB)", s, t[i:])
	}
	v := f * mult
	if v >= math.MaxInt64 {
		return 0, fmt.Errorf("invalid size %q: too large", s)
	}
	return int64(v), nil
}

// MemoryFlag is the pflag.Value of --max-memory bound to an eval memory
// budget (eval.Config.MaxMemory): a size as ParseSize reads it, 0 ("0",
// "none", "unlimited") stored as -1, no bound.
type MemoryFlag struct{ P *int64 }

// String prints the budget: "256MiB", "0" when unbounded.
func (m MemoryFlag) String() string {
	if m.P == nil || *m.P == 0 {
		return formatSize(value.DefaultMaxMemory)
	}
	if *m.P < 0 {
		return "0"
	}
	return formatSize(*m.P)
}

// Set parses a size.
func (m MemoryFlag) Set(s string) error {
	n, err := ParseSize(s)
	if err != nil {
		return err
	}
	if n == 0 {
		n = -1
	}
	*m.P = n
	return nil
}

// Type names the flag's value in help texts.
func (MemoryFlag) Type() string { return "size" }

// formatSize prints n bytes in the largest binary unit that divides it
// ("256MiB"), else in bytes.
func formatSize(n int64) string {
	for _, u := range []struct {
		name string
		size int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.size && n%u.size == 0 {
			return strconv.FormatInt(n/u.size, 10) + u.name
		}
	}
	return strconv.FormatInt(n, 10)
}

// Budget flag help texts, shared by the commands that evaluate.
const (
	TimeoutUsage   = "stop the evaluation with an EvaluationError after this time (0: no limit)"
	MaxMemoryUsage = "stop the evaluation with an EvaluationError when the values it builds (shared structure counted as expanded, output included) exceed this size (e.g. 512MiB, 1GB; 0: no limit)"
)

// AddBudgetFlags registers --timeout (default DefaultTimeout) and
// --max-memory (default 256MiB) on fs, bound to timeout and maxMemory (an
// eval.Config.MaxMemory: 0 = default, -1 = none).
func AddBudgetFlags(fs *pflag.FlagSet, timeout *time.Duration, maxMemory *int64) {
	fs.DurationVar(timeout, "timeout", DefaultTimeout, TimeoutUsage)
	fs.Var(MemoryFlag{P: maxMemory}, "max-memory", MaxMemoryUsage)
}
