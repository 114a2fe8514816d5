package voicemail

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidName reports a context, mailbox or folder name that may not
// reach the filesystem.
var ErrInvalidName = errors.New("voicemail: invalid name")

// maxNameLen bounds a context or mailbox name; Asterisk's buffers are
// AST_MAX_CONTEXT (80) and AST_MAX_EXTENSION (80).
const maxNameLen = 80

// ValidName reports whether s may be used as a context or mailbox name in
// a spool path: 1 to 80 of [A-Za-z0-9_.+#*-], and not "." or "..". Asterisk
// builds paths from the raw names (a "Mailbox: x@../../.." in MailboxCount
// counts files anywhere); Asterism never lets such a name near the disk.
func ValidName(s string) bool {
	if s == "" || len(s) > maxNameLen || s == "." || s == ".." {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '_' || c == '.' || c == '+' || c == '#' || c == '*' || c == '-':
		default:
			return false
		}
	}
	return true
}

// The folders of a mailbox, in app_voicemail's mailbox_folders order: the
// index is the folder number of VoiceMailMain's "save to folder" menu.
var Folders = []string{"INBOX", "Old", "Work", "Family", "Friends", "Cust1", "Cust2", "Cust3", "Cust4", "Cust5", "Deleted", "Urgent"}

// The folders the counts come from.
const (
	FolderInbox  = "INBOX"
	FolderOld    = "Old"
	FolderUrgent = "Urgent"
)

// FolderName returns the canonical name of folder (matched ignoring case),
// or ErrInvalidName.
func FolderName(folder string) (string, error) {
	for _, f := range Folders {
		if strings.EqualFold(f, folder) {
			return f, nil
		}
	}
	return "", fmt.Errorf("%w: folder %q", ErrInvalidName, folder)
}

// Box names a mailbox.
type Box struct {
	Mailbox, Context string
}

// String returns "box@context".
func (b Box) String() string { return b.Mailbox + "@" + b.Context }

// ParseBox parses "box[@context]" (context "default" when absent) and
// checks both names.
func ParseBox(s string) (Box, error) {
	box, ctx, ok := strings.Cut(strings.TrimSpace(s), "@")
	if !ok || ctx == "" {
		ctx = "default"
	}
	if !ValidName(box) || !ValidName(ctx) {
		return Box{}, fmt.Errorf("%w: mailbox %q", ErrInvalidName, s)
	}
	return Box{Mailbox: box, Context: ctx}, nil
}

// SplitList splits a mailbox list on any of seps, dropping empty pieces
// (Asterisk's strsep loops skip them too).
func SplitList(s, seps string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(seps, r) })
}
