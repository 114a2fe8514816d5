package client

import (
	"errors"

	"github.com/asterism-pbx/asterism/ami"
)

// Errors returned by the client. They are wrapped with context; test them
// with errors.Is.
var (
	// ErrAuthFailed: the server answered Login with "Authentication
	// failed" (wrong secret, unknown user, ACL, bad MD5 key). Asterisk
	// closes the connection after saying so.
	ErrAuthFailed = errors.New("authentication failed")

	// ErrClosed: the client was closed by [Client.Close].
	ErrClosed = errors.New("ami client: closed")

	// ErrDisconnected: the connection was lost, or was not up (while
	// reconnecting) when the action was sent. An action in flight may or
	// may not have been carried out by the server.
	ErrDisconnected = errors.New("ami client: disconnected")

	// ErrBadBanner: the peer did not greet with "Asterisk Call Manager/…".
	ErrBadBanner = errors.New("ami client: not an AMI server (unexpected banner)")

	// ErrMessageTooLarge: a reply broke the client's size limits
	// (Options.MaxLineLength, Options.MaxMessageSize).
	ErrMessageTooLarge = errors.New("message too large")

	// ErrDuplicateActionID: a caller-supplied ActionID is already in
	// flight on this connection; replies could not be told apart.
	ErrDuplicateActionID = errors.New("ami client: ActionID already in flight")
)

// ActionError is the error for a reply of "Response: Error". Find it with
// errors.As; Response holds the whole reply (a failing Command still carries
// its Output headers).
type ActionError struct {
	Action   string       // the action sent, e.g. "Originate"
	Message  string       // the reply's Message header, e.g. "No such channel"
	Response *ami.Message // the reply as received
}

func (e *ActionError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = "Response: Error"
	}
	return "ami client: " + e.Action + ": " + msg
}
