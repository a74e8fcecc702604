package stdlib

import (
	"errors"
	"fmt"

	"github.com/konfig-lsp/konfig-lsp/internal/kcl/value"
)

func runtimeModule(Env) map[string]value.Value {
	return members(def("runtime", "catch", func(c call) (value.Value, error) {
		var fv value.Value
		if err := c.unpack(&fv); err != nil {
			return nil, err
		}
		f, ok := fv.(*value.Func)
		if !ok || f.Call == nil {
			return nil, errors.New("catch() argument 'func' must be a function")
		}
		if _, err := f.Call(nil, nil); err != nil {
			var m Messager
			if errors.As(err, &m) {
				return value.Str(m.Message()), nil
			}
			return value.Str(err.Error()), nil
		}
		return value.Undefined, nil
	}))
}

func collectionModule(env Env) map[string]value.Value {
	return members(def("collection", "union_all", func(c call) (value.Value, error) {
		var v value.Value
		if err := c.unpack(&v); err != nil {
			return nil, err
		}
		var err error
		l, ok := v.(*value.List)
		if !ok {
			return nil, fmt.Errorf("union_all() argument must be a list, not %s", value.TypeName(v))
		}
		if len(l.Items) == 0 {
			return value.NewDict(), nil
		}
		budget := budgetOf(env)
		acc := value.CopyCounted(l.Items[0], budget)
		for _, it := range l.Items[1:] {
			if acc, err = value.Union(acc, value.CopyCounted(it, budget), &value.UnionOptions{Budget: budget}); err != nil {
				return nil, err
			}
		}
		if err := budget.Err(); err != nil {
			return nil, err
		}
		return acc, nil
	}))
}
