package eval

// ParamTypes implements stdlib.ParamTyper for lambda values: the declared
// parameter types as written ("" for an untyped parameter), which builtins
// such as reduce need for their checks.
func (c *closure) ParamTypes() []string {
	out := make([]string, len(c.lam.Params))
	for i, p := range c.lam.Params {
		if p.Type != nil {
			out[i] = typeText(p.Type)
		}
	}
	return out
}
