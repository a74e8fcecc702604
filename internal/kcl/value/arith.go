package value

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// ArithOptions selects the overflow checks of the arithmetic operators:
// StrictRange (-r) checks 32-bit int and float ranges, Debug (-d) adds the
// 64-bit float overflow check. 64-bit integer overflow is always an error.
type ArithOptions struct {
	StrictRange bool
	Debug       bool
	// Budget, when set, is charged for the copies a list repetition
	// (`[x] * n`) makes of its items; once it refuses, the result is
	// incomplete: callers must check Budget.Err().
	Budget *Budget
}

// OpError is an operator error whose text is KCL's message.
type OpError struct{ Msg string }

func (e *OpError) Error() string { return e.Msg }

func opErr(format string, args ...any) error { return &OpError{Msg: fmt.Sprintf(format, args...)} }

func unsupported(op string, a, b Value) error {
	return opErr("unsupported operand type(s) for %s: '%s' and '%s'", op, TypeName(a), TypeName(b))
}

// FormatFloatDebug formats f like Rust's `{:?}` for f64: shortest
// round-trip digits, exponent form outside 1e-5 <= |f| < 1e16.
func FormatFloatDebug(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "NaN"
	}
	abs := math.Abs(f)
	if abs != 0 && (abs < 1e-5 || abs >= 1e16) {
		s := strconv.FormatFloat(f, 'e', -1, 64)
		mant, exp, _ := strings.Cut(s, "e")
		e, _ := strconv.Atoi(exp)
		return mant + "e" + strconv.Itoa(e)
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsAny(s, ".") {
		s += ".0"
	}
	return s
}

// checkInt applies the integer range checks to an exact result.
func checkInt(r *big.Int, o ArithOptions) (Value, error) {
	if o.StrictRange && (r.Cmp(big.NewInt(math.MaxInt32)) > 0 || r.Cmp(big.NewInt(math.MinInt32)) < 0) {
		return nil, opErr("%s: A 32 bit integer overflow", r.String())
	}
	if !r.IsInt64() {
		return nil, opErr("%s: A 64 bit integer overflow", r.String())
	}
	return Int(r.Int64()), nil
}

// CheckInt applies the range checks of o to the int n (used for literals
// and conversions).
func CheckInt(n int64, o ArithOptions) error {
	if o.StrictRange && (n > math.MaxInt32 || n < math.MinInt32) {
		return opErr("%d: A 32 bit integer overflow", n)
	}
	return nil
}

// CheckFloat applies the float range checks of o to f.
func CheckFloat(f float64, o ArithOptions) error {
	if o.StrictRange {
		abs := math.Abs(f)
		if !math.IsInf(f, 0) && abs > math.MaxFloat32 {
			return opErr("%s: A 32-bit floating point number overflow", FormatFloatDebug(f))
		}
		if abs != 0 && abs < 1.175494351e-38 {
			return opErr("%s: A 32-bit floating point number underflow", FormatFloatDebug(f))
		}
	}
	if o.Debug && math.IsInf(f, 0) {
		return opErr("%s: A 64-bit floating point number overflow", FormatFloatDebug(f))
	}
	return nil
}

func intResult(r int64, o ArithOptions) (Value, error) {
	if o.StrictRange && (r > math.MaxInt32 || r < math.MinInt32) {
		return nil, opErr("%d: A 32 bit integer overflow", r)
	}
	return Int(r), nil
}

func floatResult(f float64, o ArithOptions) (Value, error) {
	if err := CheckFloat(f, o); err != nil {
		return nil, err
	}
	return Float(f), nil
}

// asInt returns v as an int64 for int and bool operands.
func asInt(v Value) (int64, bool) {
	switch x := v.(type) {
	case Int:
		return int64(x), true
	case Bool:
		if x {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

// asNum returns v as a float64 for int, float and bool operands (not units).
func asNum(v Value) (float64, bool) {
	switch x := v.(type) {
	case Int:
		return float64(x), true
	case Float:
		return float64(x), true
	case Bool:
		if x {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

// Binary applies the arithmetic or bitwise operator op ("+", "-", "*", "/",
// "//", "%", "**", "<<", ">>", "&", "^", "|") to a and b. For "|" on
// non-integers it returns an error: use Union.
func Binary(op string, a, b Value, o ArithOptions) (Value, error) {
	ai, aInt := asInt(a)
	bi, bInt := asInt(b)
	if aInt && bInt {
		return intOp(op, ai, bi, a, b, o)
	}
	af, aNum := asNum(a)
	bf, bNum := asNum(b)
	if aNum && bNum {
		return floatOp(op, af, bf, a, b, o)
	}
	switch op {
	case "+":
		switch x := a.(type) {
		case Str:
			if y, ok := b.(Str); ok {
				return x + y, nil
			}
		case *List:
			if y, ok := b.(*List); ok {
				items := make([]Value, 0, len(x.Items)+len(y.Items))
				items = append(items, x.Items...)
				items = append(items, y.Items...)
				return &List{Items: items}, nil
			}
			if _, ok := b.(NoneType); ok {
				return nil, opErr("can only concatenate list (not \"NoneType\") to list")
			}
		}
	case "*":
		if n, ok := asInt(b); ok {
			if r, ok := repeat(a, n, o.Budget); ok {
				return r, nil
			}
		}
		if n, ok := asInt(a); ok {
			if r, ok := repeat(b, n, o.Budget); ok {
				return r, nil
			}
		}
	}
	return nil, unsupported(op, a, b)
}

func repeat(v Value, n int64, b *Budget) (Value, bool) {
	if n < 0 {
		n = 0
	}
	switch x := v.(type) {
	case Str:
		return Str(strings.Repeat(string(x), int(n))), true
	case *List:
		items := make([]Value, 0, len(x.Items)*int(n))
		for i := int64(0); i < n && b.Err() == nil; i++ {
			for _, it := range x.Items {
				items = append(items, CopyCounted(it, b))
			}
		}
		return &List{Items: items}, true
	}
	return nil, false
}

func intOp(op string, x, y int64, a, b Value, o ArithOptions) (Value, error) {
	switch op {
	case "+":
		s := x + y
		if (x > 0 && y > 0 && s < 0) || (x < 0 && y < 0 && s >= 0) {
			return checkInt(new(big.Int).Add(big.NewInt(x), big.NewInt(y)), o)
		}
		return intResult(s, o)
	case "-":
		s := x - y
		if (x >= 0 && y < 0 && s < 0) || (x < 0 && y > 0 && s >= 0) {
			return checkInt(new(big.Int).Sub(big.NewInt(x), big.NewInt(y)), o)
		}
		return intResult(s, o)
	case "*":
		if x == 0 || y == 0 {
			return Int(0), nil
		}
		s := x * y
		if s/y != x || (x == -1 && y == math.MinInt64) || (y == -1 && x == math.MinInt64) {
			return checkInt(new(big.Int).Mul(big.NewInt(x), big.NewInt(y)), o)
		}
		return intResult(s, o)
	case "/":
		return floatResult(float64(x)/float64(y), o)
	case "//":
		if y == 0 {
			return nil, opErr("integer division or modulo by zero")
		}
		q := x / y
		if (x%y != 0) && ((x < 0) != (y < 0)) {
			q--
		}
		return Int(q), nil
	case "%":
		if y == 0 {
			return nil, opErr("integer division or modulo by zero")
		}
		m := x % y
		if m != 0 && ((m < 0) != (y < 0)) {
			m += y
		}
		return Int(m), nil
	case "**":
		if y < 0 {
			return floatResult(math.Pow(float64(x), float64(y)), o)
		}
		r := new(big.Int).Exp(big.NewInt(x), big.NewInt(y), nil)
		return checkInt(r, o)
	case "<<":
		if y < 0 {
			return nil, opErr("negative shift count")
		}
		r := new(big.Int).Lsh(big.NewInt(x), uint(min(y, 128)))
		return checkInt(r, o)
	case ">>":
		if y < 0 {
			return nil, opErr("negative shift count")
		}
		return Int(x >> uint(min(y, 63))), nil
	case "&":
		return Int(x & y), nil
	case "|":
		return Int(x | y), nil
	case "^":
		return Int(x ^ y), nil
	}
	return nil, unsupported(op, a, b)
}

func floatOp(op string, x, y float64, a, b Value, o ArithOptions) (Value, error) {
	switch op {
	case "+":
		return floatResult(x+y, o)
	case "-":
		return floatResult(x-y, o)
	case "*":
		return floatResult(x*y, o)
	case "/":
		if y == 0 {
			return nil, opErr("float division by zero")
		}
		return floatResult(x/y, o)
	case "//":
		if y == 0 {
			return nil, opErr("float floor division by zero")
		}
		return floatResult(math.Floor(x/y), o)
	case "%":
		if y == 0 {
			return nil, opErr("float modulo")
		}
		return floatResult(math.Mod(x, y), o)
	case "**":
		return floatResult(math.Pow(x, y), o)
	}
	return nil, unsupported(op, a, b)
}

// Unary applies "-", "+", "~" or "not" to v.
func Unary(op string, v Value, o ArithOptions) (Value, error) {
	switch op {
	case "not":
		return Bool(!Truthy(v)), nil
	case "-":
		switch x := v.(type) {
		case Int:
			if x == math.MinInt64 {
				return checkInt(new(big.Int).Neg(big.NewInt(int64(x))), o)
			}
			return Int(-x), nil
		case Bool:
			n, _ := asInt(x)
			return Int(-n), nil
		case Float:
			return Float(-x), nil
		}
	case "+":
		switch x := v.(type) {
		case Int, Float:
			return x, nil
		case Bool:
			n, _ := asInt(x)
			return Int(n), nil
		}
	case "~":
		if n, ok := asInt(v); ok {
			return Int(^n), nil
		}
	}
	return nil, opErr("bad operand type for unary %s: '%s'", op, TypeName(v))
}

// ErrNotIterable is returned by Contains for a container that cannot hold
// members.
var ErrNotIterable = errors.New("argument is not iterable")

// Contains implements `x in y`: membership in a list, key in a dict or
// schema, substring in a str.
func Contains(x, y Value) (bool, error) {
	switch c := y.(type) {
	case *List:
		for _, it := range c.Items {
			if Equal(it, x) {
				return true, nil
			}
		}
		return false, nil
	case *Dict:
		if k, ok := x.(Str); ok {
			_, found := c.Get(string(k))
			return found, nil
		}
		return false, nil
	case *Schema:
		if k, ok := x.(Str); ok && c.Attrs != nil {
			_, found := c.Attrs.Get(string(k))
			return found, nil
		}
		return false, nil
	case Str:
		if k, ok := x.(Str); ok {
			return strings.Contains(string(c), string(k)), nil
		}
		return false, opErr("'in <string>' requires string as left operand, not %s", TypeName(x))
	case NoneType, UndefinedType:
		return false, nil
	}
	return false, opErr("'%s' object is not iterable", TypeName(y))
}
