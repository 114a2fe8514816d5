package pbx

import (
	"errors"
	"strings"

	"github.com/asterism-pbx/asterism/dialplan"
)

// maxUserEventItems is how many body items UserEvent takes (app_userevent's
// argument array of 100); the last one holds the rest of the data.
const maxUserEventItems = 100

// appUserEvent is UserEvent(eventname[,body]): an event of class user,
// the body items "Key: value" separated by commas. As in Asterisk, an item
// without a colon is skipped, the value is stripped of blanks and the key
// is not, a key given twice keeps its first place and its last value, and
// a key "eventname" renames the event.
func appUserEvent(ch *Channel, data string) error {
	if data == "" {
		return errors.New("userevent requires an argument (eventname,optional event body)")
	}
	args := dialplan.SplitArgs(data, ',', maxUserEventItems+1)
	name := appArg(args, 0)
	var headers [][2]string
	for _, item := range args[1:] {
		key, value, ok := strings.Cut(item, ":")
		if !ok || key == "" {
			continue
		}
		value = strings.TrimSpace(value)
		if key == "eventname" {
			name = value
			continue
		}
		replaced := false
		for i := range headers {
			if headers[i][0] == key {
				headers[i][1] = value
				replaced = true
				break
			}
		}
		if !replaced {
			headers = append(headers, [2]string{key, value})
		}
	}
	ch.emit(Event{Kind: EventUserEvent, UserEvent: name, UserHeaders: headers})
	return nil
}
