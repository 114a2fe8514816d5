package manager

// SendRaw queues text as it is, with no Response line, ActionID or
// closing blank line added: for the legacy answers of Asterisk's first
// actions (Asterisk ≤ 14's Queues printed "queue show" this way), which
// clients of those versions parse. text must end with the blank line the
// client waits for. It never blocks; a closed session drops it.
func (s *Session) SendRaw(text string) {
	s.appendOut(func(b []byte) []byte { return append(b, text...) })
}
