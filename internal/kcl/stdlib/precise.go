package stdlib

import (
	"math"
	"math/big"
)

// The C library's exp and expm1, which KCL's math module calls, are
// (almost always) correctly rounded, while Go's math.Exp may be off by one
// ulp. preciseExp and preciseExpm1 compute the correctly rounded result with
// big.Float arithmetic so that printed digits match the official output.

const expPrec = 160

func bigLn2() *big.Float {
	// ln 2 = sum_{k>=1} 1 / (k * 2^k)
	sum := new(big.Float).SetPrec(expPrec)
	term := new(big.Float).SetPrec(expPrec)
	for k := 1; k <= expPrec+10; k++ {
		term.SetMantExp(big.NewFloat(1).SetPrec(expPrec), -k)
		term.Quo(term, new(big.Float).SetPrec(expPrec).SetInt64(int64(k)))
		sum.Add(sum, term)
	}
	return sum
}

// taylorExp returns sum_{n>=start} r^n / n! for small |r|.
func taylorExp(r *big.Float, start int) *big.Float {
	sum := new(big.Float).SetPrec(expPrec)
	term := new(big.Float).SetPrec(expPrec).SetInt64(1)
	eps := new(big.Float).SetPrec(expPrec).SetMantExp(big.NewFloat(1), -expPrec-8)
	for n := 1; n < 400; n++ {
		term.Mul(term, r)
		term.Quo(term, new(big.Float).SetPrec(expPrec).SetInt64(int64(n)))
		if n >= start {
			sum.Add(sum, term)
		}
		if new(big.Float).Abs(term).Cmp(eps) < 0 {
			break
		}
	}
	if start == 0 {
		sum.Add(sum, big.NewFloat(1))
	}
	return sum
}

// bigExp returns e^x with about expPrec bits of precision.
func bigExp(x float64) *big.Float {
	ln2 := bigLn2()
	k := math.Round(x / math.Ln2)
	r := new(big.Float).SetPrec(expPrec).SetFloat64(x)
	r.Sub(r, new(big.Float).SetPrec(expPrec).Mul(ln2, new(big.Float).SetPrec(expPrec).SetFloat64(k)))
	e := taylorExp(r, 0)
	return e.SetMantExp(e, int(k))
}

func preciseExp(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) || x > 710 || x < -746 {
		return math.Exp(x)
	}
	f, _ := bigExp(x).Float64()
	return f
}

func preciseExpm1(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) || x > 710 || x < -746 {
		return math.Expm1(x)
	}
	if math.Abs(x) < 0.5 {
		f, _ := taylorExp(new(big.Float).SetPrec(expPrec).SetFloat64(x), 1).Float64()
		return f
	}
	e := bigExp(x)
	f, _ := e.Sub(e, big.NewFloat(1)).Float64()
	return f
}
