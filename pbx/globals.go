package pbx

// Global returns a global variable: one set at run time with
// [Core.SetGlobal], else the dialplan's [globals] entry.
func (c *Core) Global(name string) (string, bool) {
	c.mu.Lock()
	v, ok := c.globals[name]
	c.mu.Unlock()
	if ok {
		return v, true
	}
	if dp := c.Dialplan(); dp != nil {
		return dp.Global(name)
	}
	return "", false
}

// SetGlobal sets a global variable, as Set(GLOBAL(name)=value) and the
// AMI Setvar without a channel do, and announces it (a VarSet event with
// Global set, which Asterisk sends with "Channel: none"). It hides the
// dialplan's [globals] entry of the same name, also across a dialplan
// reload (Asterism keeps run-time globals, as Asterisk does with
// clearglobalvars = no). An empty value is kept as an empty variable.
func (c *Core) SetGlobal(name, value string) {
	c.globalMu.Lock()
	defer c.globalMu.Unlock()
	c.mu.Lock()
	c.globals[name] = value
	c.mu.Unlock()
	c.sink.HandleEvent(Event{Kind: EventVarSet, Global: true, Variable: name, Value: value})
}

// Get implements dialplan.Vars over the global variables alone, for
// substitution and function reads without a channel.
func (c *Core) Get(name string) (string, bool) { return c.Global(name) }
