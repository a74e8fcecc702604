package konfig

import (
	"context"
	"errors"
)

// NewKCLEvaluator returns the Evaluator backed by our KCL implementation.
func NewKCLEvaluator() Evaluator {
	return EvaluatorFunc(func(ctx context.Context, p *Program) ([]byte, error) {
		return nil, errors.New("the KCL evaluator is not available yet")
	})
}
