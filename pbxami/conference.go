package pbxami

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"time"

	"github.com/asterism-pbx/asterism/ami"
	"github.com/asterism-pbx/asterism/app/conference"
	"github.com/asterism-pbx/asterism/cli"
	"github.com/asterism-pbx/asterism/manager"
	"github.com/asterism-pbx/asterism/pbx"
)

// startConferences starts MeetMe and ConfBridge: meetme.conf,
// confbridge.conf, their applications, actions, CLI commands and events.
// Missing files give no static rooms and the default profiles.
func startConferences(p *PBX, m *manager.Manager, cfg Config, log *slog.Logger) error {
	mc, err := conference.LoadMeetMe(cfg.Dir, log)
	if err != nil {
		return fmt.Errorf("conferences: %w", err)
	}
	cc, err := conference.LoadConfBridge(cfg.Dir, log)
	if err != nil {
		return fmt.Errorf("conferences: %w", err)
	}
	eng := conference.New(p.Core, &confReporter{a: p.Adapter, m: m}, mc, cc, conference.Options{Logger: log})
	p.Conferences = eng
	p.closers = append(p.closers, eng.Close)
	eng.RegisterApps()
	ca := &confAMI{eng: eng, a: p.Adapter}
	for _, act := range ca.actions() {
		if err := m.Register(act); err != nil {
			return fmt.Errorf("conferences: %w", err)
		}
	}
	for _, c := range ca.commands() {
		if err := m.CLI().Register(c); err != nil {
			return fmt.Errorf("conferences: %w", err)
		}
	}
	reload := func() error {
		mc, err := conference.LoadMeetMe(cfg.Dir, log)
		if err != nil {
			return err
		}
		cc, err := conference.LoadConfBridge(cfg.Dir, log)
		if err != nil {
			return err
		}
		eng.SetConfig(mc, cc)
		return nil
	}
	m.RegisterReload("app_meetme", reload)
	m.RegisterReload("app_confbridge", reload)
	return nil
}

// confReporter renders the conferences' events: app_meetme's
// (meetme_stasis_cb) and app_confbridge's (confbridge_manager.c).
type confReporter struct {
	a *Adapter
	m *manager.Manager
}

func yesNo(b bool) string {
	if b {
		return "Yes"
	}
	return "No"
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// confBridge is the bridge block of a ConfBridge conference: a softmix
// bridge of type base that ConfBridge created, with the announcer
// channel Asterisk keeps in it counted among its channels.
func confBridge(c conference.ConfInfo) *pbx.BridgeSnapshot {
	return &pbx.BridgeSnapshot{Uniqueid: c.BridgeID, Type: "base", Technology: "softmix", Creator: "ConfBridge",
		Name: c.Name, NumChannels: c.Members + 1, VideoSourceMode: "none"}
}

// meetme publishes a Meetme* event: Meetme, the channel, then extra.
func (r *confReporter) meetme(name string, c conference.ConfInfo, mi *conference.MemberInfo, extra ...ami.Header) {
	h := []ami.Header{{Key: "Meetme", Value: c.Name}}
	if mi != nil {
		s := mi.Channel.Snapshot()
		h = r.a.snapshotHeaders(h, &s, mi.Channel)
	}
	h = append(h, extra...)
	r.m.Publish(&manager.Event{Name: name, Class: manager.PermCall, Headers: h})
}

// confbridge publishes a Confbridge* event: Conference, the bridge, the
// channel, then extra.
func (r *confReporter) confbridge(name string, c conference.ConfInfo, mi *conference.MemberInfo, extra ...ami.Header) {
	h := bridgeHeaders([]ami.Header{{Key: "Conference", Value: c.Name}}, confBridge(c))
	if mi != nil {
		s := mi.Channel.Snapshot()
		h = r.a.snapshotHeaders(h, &s, mi.Channel)
	}
	h = append(h, extra...)
	r.m.Publish(&manager.Event{Name: name, Class: manager.PermCall, Headers: h})
}

func user(mi conference.MemberInfo) ami.Header {
	return ami.Header{Key: "User", Value: strconv.Itoa(mi.User)}
}

// bridgeEvent publishes a Bridge* event of a ConfBridge conference's
// bridge with n channels in it, and the channel of mi when not nil.
func (r *confReporter) bridgeEvent(name string, c conference.ConfInfo, n int, mi *conference.MemberInfo) {
	b := confBridge(c)
	b.NumChannels = n
	h := bridgeHeaders(make([]ami.Header, 0, 24), b)
	if mi != nil {
		s := mi.Channel.Snapshot()
		h = r.a.snapshotHeaders(h, &s, mi.Channel)
	}
	r.m.Publish(&manager.Event{Name: name, Class: manager.PermCall, Headers: h})
}

// deviceState publishes the DeviceStateChange of a device the conference
// owns (confbridge:<name>, the announcer's CBAnn/<name>).
func (r *confReporter) deviceState(device, state string) {
	r.m.Publish(&manager.Event{Name: "DeviceStateChange", Class: manager.PermCall, Headers: []ami.Header{
		{Key: "Device", Value: device}, {Key: "State", Value: state}}})
}

// Start is ConfbridgeStart, after the BridgeCreate of its bridge (empty
// yet: the announcer enters with the first member), then the conference
// device in use; MeetMe announces none.
func (r *confReporter) Start(c conference.ConfInfo) {
	if c.Kind == conference.ConfBridge {
		r.bridgeEvent("BridgeCreate", c, 0, nil)
		r.confbridge("ConfbridgeStart", c, nil)
		r.deviceState("confbridge:"+c.Name, "INUSE")
	}
}

// Join is MeetmeJoin (User) or ConfbridgeJoin (Admin, Muted) and the
// BridgeEnter of the conference's bridge.
func (r *confReporter) Join(c conference.ConfInfo, mi conference.MemberInfo) {
	if c.Kind == conference.MeetMe {
		r.meetme("MeetmeJoin", c, &mi, user(mi))
		return
	}
	r.confbridge("ConfbridgeJoin", c, &mi, ami.Header{Key: "Admin", Value: yesNo(mi.Admin)},
		ami.Header{Key: "Muted", Value: yesNo(mi.Muted)})
	r.bridgeEvent("BridgeEnter", c, c.Members+1, &mi)
}

// Leave is MeetmeLeave (User, Duration when over a second) or
// ConfbridgeLeave (Admin, counting the member still) and BridgeLeave.
func (r *confReporter) Leave(c conference.ConfInfo, mi conference.MemberInfo) {
	if c.Kind == conference.MeetMe {
		extra := []ami.Header{user(mi)}
		if d := int(time.Since(mi.Joined) / time.Second); d > 0 {
			extra = append(extra, ami.Header{Key: "Duration", Value: strconv.Itoa(d)})
		}
		r.meetme("MeetmeLeave", c, &mi, extra...)
		return
	}
	r.confbridge("ConfbridgeLeave", c, &mi, ami.Header{Key: "Admin", Value: yesNo(mi.Admin)})
	r.bridgeEvent("BridgeLeave", c, c.Members, &mi)
}

// End is MeetmeEnd, or ConfbridgeEnd with the device states and the
// BridgeDestroy of the conference's bridge.
func (r *confReporter) End(c conference.ConfInfo) {
	if c.Kind == conference.MeetMe {
		r.meetme("MeetmeEnd", c, nil)
		return
	}
	r.deviceState("confbridge:"+c.Name, "NOT_INUSE")
	r.confbridge("ConfbridgeEnd", c, nil)
	// The announcer channel goes, twice announced as Asterisk does,
	// and the bridge with it.
	r.deviceState("CBAnn/"+c.Name, "UNKNOWN")
	r.bridgeEvent("BridgeDestroy", c, 0, nil)
	r.deviceState("CBAnn/"+c.Name, "UNKNOWN")
}

// Mute is MeetmeMute (Status, User) or ConfbridgeMute/ConfbridgeUnmute
// (Admin).
func (r *confReporter) Mute(c conference.ConfInfo, mi conference.MemberInfo) {
	if c.Kind == conference.MeetMe {
		r.meetme("MeetmeMute", c, &mi, ami.Header{Key: "Status", Value: onOff(mi.Muted)}, user(mi))
		return
	}
	name := "ConfbridgeUnmute"
	if mi.Muted {
		name = "ConfbridgeMute"
	}
	r.confbridge(name, c, &mi, ami.Header{Key: "Admin", Value: yesNo(mi.Admin)})
}

// Talking is MeetmeTalking (Status, User) or ConfbridgeTalking
// (TalkingStatus, Admin).
func (r *confReporter) Talking(c conference.ConfInfo, mi conference.MemberInfo) {
	if c.Kind == conference.MeetMe {
		r.meetme("MeetmeTalking", c, &mi, ami.Header{Key: "Status", Value: onOff(mi.Talking)}, user(mi))
		return
	}
	r.confbridge("ConfbridgeTalking", c, &mi, ami.Header{Key: "TalkingStatus", Value: onOff(mi.Talking)},
		ami.Header{Key: "Admin", Value: yesNo(mi.Admin)})
}

// confAMI is the conferences' actions and CLI commands.
type confAMI struct {
	eng *conference.Engine
	a   *Adapter
}

func (ca *confAMI) actions() []*manager.Action {
	return []*manager.Action{
		{Name: "MeetmeList", Perm: manager.PermReporting, Synopsis: "List participants in a conference.", Handler: ca.meetmeList},
		{Name: "MeetmeListRooms", Perm: manager.PermReporting, Synopsis: "List active conferences.", Handler: ca.meetmeListRooms},
		{Name: "MeetmeMute", Perm: manager.PermCall, Synopsis: "Mute a Meetme user.", Handler: func(ctx context.Context, s *manager.Session, req *ami.Message) error {
			return ca.meetmeMute(s, req, true)
		}},
		{Name: "MeetmeUnmute", Perm: manager.PermCall, Synopsis: "Unmute a Meetme user.", Handler: func(ctx context.Context, s *manager.Session, req *ami.Message) error {
			return ca.meetmeMute(s, req, false)
		}},
		{Name: "ConfbridgeList", Perm: manager.PermReporting, Synopsis: "List participants in a conference.", Handler: ca.confbridgeList},
		{Name: "ConfbridgeListRooms", Perm: manager.PermReporting, Synopsis: "List active conferences.", Handler: ca.confbridgeListRooms},
		{Name: "ConfbridgeKick", Perm: manager.PermCall, Synopsis: "Kick a Confbridge user.", Handler: ca.confbridgeKick},
		{Name: "ConfbridgeMute", Perm: manager.PermCall, Synopsis: "Mute a Confbridge user.", Handler: func(ctx context.Context, s *manager.Session, req *ami.Message) error {
			return ca.confbridgeMute(s, req, true)
		}},
		{Name: "ConfbridgeUnmute", Perm: manager.PermCall, Synopsis: "Unmute a Confbridge user.", Handler: func(ctx context.Context, s *manager.Session, req *ami.Message) error {
			return ca.confbridgeMute(s, req, false)
		}},
		{Name: "ConfbridgeLock", Perm: manager.PermCall, Synopsis: "Lock a Confbridge conference.", Handler: func(ctx context.Context, s *manager.Session, req *ami.Message) error {
			return ca.confbridgeLock(s, req, true)
		}},
		{Name: "ConfbridgeUnlock", Perm: manager.PermCall, Synopsis: "Unlock a Confbridge conference.", Handler: func(ctx context.Context, s *manager.Session, req *ami.Message) error {
			return ca.confbridgeLock(s, req, false)
		}},
	}
}

// withID appends the ActionID of req to h when it has one.
func withID(h []ami.Header, req *ami.Message) []ami.Header {
	if id := req.ActionID(); id != "" {
		h = append(h, ami.Header{Key: "ActionID", Value: id})
	}
	return h
}

// meetmeRole is MeetmeList's Role.
func meetmeRole(mi *conference.MemberInfo) string {
	switch {
	case mi.Listen:
		return "Listen only"
	case mi.TalkOnly:
		return "Talk only"
	}
	return "Talk and listen"
}

func meetmeMuted(mi *conference.MemberInfo) string {
	switch {
	case !mi.Muted:
		return "No"
	case mi.MutedBy == "admin":
		return "By admin"
	}
	return "By self"
}

func meetmeTalking(mi *conference.MemberInfo) string {
	if !mi.Monitor {
		return "Not monitored"
	}
	return yesNo(mi.Talking)
}

// meetmeList is MeetmeList: a MeetmeList item per user (of Conference
// when given, else of every conference), then MeetmeListComplete.
func (ca *confAMI) meetmeList(_ context.Context, s *manager.Session, req *ami.Message) error {
	want := req.Get("Conference")
	rooms := ca.eng.Conferences(conference.MeetMe)
	if len(rooms) == 0 {
		s.Error(req, "No active conferences.")
		return nil
	}
	s.StartList(req, "Meetme user list will follow")
	items := 0
	for _, r := range rooms {
		if want != "" && r.Name != want {
			continue
		}
		_, ms, err := ca.eng.Members(conference.MeetMe, r.Name)
		if err != nil {
			continue // ended meanwhile
		}
		for i := range ms {
			mi := &ms[i]
			num, name := mi.Channel.CallerID()
			cnum, cname := mi.Channel.ConnectedLine()
			h := withID([]ami.Header{{Key: "Event", Value: "MeetmeList"}}, req)
			h = append(h, ami.Header{Key: "Conference", Value: r.Name},
				ami.Header{Key: "UserNumber", Value: strconv.Itoa(mi.User)},
				ami.Header{Key: "CallerIDNum", Value: orUnknown(num)},
				ami.Header{Key: "CallerIDName", Value: orUnknown(name)},
				ami.Header{Key: "ConnectedLineNum", Value: orUnknown(cnum)},
				ami.Header{Key: "ConnectedLineName", Value: orUnknown(cname)},
				ami.Header{Key: "Channel", Value: mi.Channel.Name()},
				ami.Header{Key: "Admin", Value: yesNo(mi.Admin)},
				ami.Header{Key: "Role", Value: meetmeRole(mi)},
				ami.Header{Key: "MarkedUser", Value: yesNo(mi.Marked)},
				ami.Header{Key: "Muted", Value: meetmeMuted(mi)},
				ami.Header{Key: "Talking", Value: meetmeTalking(mi)})
			s.Send(&ami.Message{Headers: h})
			items++
		}
	}
	s.CompleteList(req, "MeetmeListComplete", items)
	return nil
}

func clock(d time.Duration) string {
	sec := int(d / time.Second)
	return fmt.Sprintf("%02d:%02d:%02d", sec/3600, sec/60%60, sec%60)
}

func creation(c conference.ConfInfo) string {
	if c.Dynamic {
		return "Dynamic"
	}
	return "Static"
}

func marked(c conference.ConfInfo) string {
	if c.Marked == 0 {
		return "N/A"
	}
	return strconv.Itoa(c.Marked)
}

// meetmeListRooms is MeetmeListRooms.
func (ca *confAMI) meetmeListRooms(_ context.Context, s *manager.Session, req *ami.Message) error {
	rooms := ca.eng.Conferences(conference.MeetMe)
	if len(rooms) == 0 {
		s.Error(req, "No active conferences.")
		return nil
	}
	s.StartList(req, "Meetme conferences will follow")
	for _, r := range rooms {
		h := withID([]ami.Header{{Key: "Event", Value: "MeetmeListRooms"}}, req)
		h = append(h, ami.Header{Key: "Conference", Value: r.Name},
			ami.Header{Key: "Parties", Value: strconv.Itoa(r.Members)},
			ami.Header{Key: "Marked", Value: marked(r)},
			ami.Header{Key: "Activity", Value: clock(time.Since(r.Created))},
			ami.Header{Key: "Creation", Value: creation(r)},
			ami.Header{Key: "Locked", Value: yesNo(r.Locked)})
		s.Send(&ami.Message{Headers: h})
	}
	s.CompleteList(req, "MeetmeListRoomsComplete", len(rooms))
	return nil
}

// meetmeMute is MeetmeMute and MeetmeUnmute (Meetme, Usernum).
func (ca *confAMI) meetmeMute(s *manager.Session, req *ami.Message, mute bool) error {
	room, usernum := req.Get("Meetme"), req.Get("Usernum")
	if room == "" {
		s.Error(req, "Meetme conference not specified")
		return nil
	}
	if usernum == "" {
		s.Error(req, "Meetme user number not specified")
		return nil
	}
	if _, err := strconv.Atoi(usernum); err != nil {
		s.Error(req, "Invalid user number")
		return nil
	}
	err := ca.eng.Mute(conference.MeetMe, room, usernum, mute)
	return confReply(s, req, err, "Meetme conference does not exist", "User number not found", muteAck(mute))
}

// muteAck is the success message of a mute (true) or unmute action, the
// same for MeetMe and ConfBridge.
func muteAck(mute bool) string {
	if mute {
		return "User muted"
	}
	return "User unmuted"
}

// confReply answers a conference action that targets one member from the
// engine's err: noConf or noMember (each application's own wording) for
// the two misses, ack on success, and any other error returned. MeetMe and
// ConfBridge mute and kick differ only in these strings.
func confReply(s *manager.Session, req *ami.Message, err error, noConf, noMember, ack string) error {
	switch {
	case errors.Is(err, conference.ErrNoConference):
		s.Error(req, noConf)
	case errors.Is(err, conference.ErrNoMember):
		s.Error(req, noMember)
	case err != nil:
		return err
	default:
		s.Ack(req, ack)
	}
	return nil
}

// confbridgeList is ConfbridgeList: a ConfbridgeList item per user of
// Conference, then ConfbridgeListComplete.
func (ca *confAMI) confbridgeList(_ context.Context, s *manager.Session, req *ami.Message) error {
	name := req.Get("Conference")
	if name == "" {
		s.Error(req, "No Conference name provided.")
		return nil
	}
	if len(ca.eng.Conferences(conference.ConfBridge)) == 0 {
		s.Error(req, "No active conferences.")
		return nil
	}
	_, ms, err := ca.eng.Members(conference.ConfBridge, name)
	if err != nil {
		s.Error(req, "No Conference by that name found.")
		return nil
	}
	s.StartList(req, "Confbridge user list will follow")
	for i := range ms {
		mi := &ms[i]
		h := withID([]ami.Header{{Key: "Event", Value: "ConfbridgeList"}}, req)
		h = append(h, ami.Header{Key: "Conference", Value: name},
			ami.Header{Key: "Admin", Value: yesNo(mi.Admin)},
			ami.Header{Key: "MarkedUser", Value: yesNo(mi.Marked)},
			ami.Header{Key: "WaitMarked", Value: yesNo(mi.WaitMark)},
			ami.Header{Key: "EndMarked", Value: yesNo(mi.EndMark)},
			ami.Header{Key: "EndMarkedAny", Value: "No"},
			ami.Header{Key: "Waiting", Value: yesNo(mi.Waiting)},
			ami.Header{Key: "Muted", Value: yesNo(mi.Muted)},
			ami.Header{Key: "Talking", Value: yesNo(mi.Talking)},
			ami.Header{Key: "AnsweredTime", Value: strconv.Itoa(int(time.Since(mi.Joined) / time.Second))})
		snap := mi.Channel.Snapshot()
		h = ca.a.snapshotHeaders(h, &snap, mi.Channel)
		s.Send(&ami.Message{Headers: h})
	}
	s.CompleteList(req, "ConfbridgeListComplete", len(ms))
	return nil
}

// confbridgeListRooms is ConfbridgeListRooms.
func (ca *confAMI) confbridgeListRooms(_ context.Context, s *manager.Session, req *ami.Message) error {
	rooms := ca.eng.Conferences(conference.ConfBridge)
	if len(rooms) == 0 {
		s.Error(req, "No active conferences.")
		return nil
	}
	s.StartList(req, "Confbridge conferences will follow")
	for _, r := range rooms {
		h := withID([]ami.Header{{Key: "Event", Value: "ConfbridgeListRooms"}}, req)
		h = append(h, ami.Header{Key: "Conference", Value: r.Name},
			ami.Header{Key: "Parties", Value: strconv.Itoa(r.Members)},
			ami.Header{Key: "Marked", Value: strconv.Itoa(r.Marked)},
			ami.Header{Key: "Locked", Value: yesNo(r.Locked)},
			ami.Header{Key: "Muted", Value: "No"})
		s.Send(&ami.Message{Headers: h})
	}
	s.CompleteList(req, "ConfbridgeListRoomsComplete", len(rooms))
	return nil
}

// confbridgeCheck answers the errors every Confbridge action shares and
// reports whether the action may go on.
func (ca *confAMI) confbridgeCheck(s *manager.Session, req *ami.Message, needChannel bool) bool {
	if req.Get("Conference") == "" {
		s.Error(req, "No Conference name provided.")
		return false
	}
	if needChannel && req.Get("Channel") == "" {
		s.Error(req, "No channel name provided.")
		return false
	}
	if len(ca.eng.Conferences(conference.ConfBridge)) == 0 {
		s.Error(req, "No active conferences.")
		return false
	}
	return true
}

// confbridgeKick is ConfbridgeKick (Conference, Channel or "all").
func (ca *confAMI) confbridgeKick(_ context.Context, s *manager.Session, req *ami.Message) error {
	if !ca.confbridgeCheck(s, req, false) {
		return nil
	}
	ch := req.Get("Channel")
	err := ca.eng.Kick(conference.ConfBridge, req.Get("Conference"), ch)
	ack := "User kicked"
	if ch == "all" {
		ack = "All participants kicked"
	}
	return confReply(s, req, err, "No Conference by that name found.", "No Channel by that name found in Conference.", ack)
}

// confbridgeMute is ConfbridgeMute and ConfbridgeUnmute.
func (ca *confAMI) confbridgeMute(s *manager.Session, req *ami.Message, mute bool) error {
	if !ca.confbridgeCheck(s, req, true) {
		return nil
	}
	err := ca.eng.Mute(conference.ConfBridge, req.Get("Conference"), req.Get("Channel"), mute)
	return confReply(s, req, err, "No Conference by that name found.", "No Channel by that name found in Conference.", muteAck(mute))
}

// confbridgeLock is ConfbridgeLock and ConfbridgeUnlock.
func (ca *confAMI) confbridgeLock(s *manager.Session, req *ami.Message, lock bool) error {
	if !ca.confbridgeCheck(s, req, false) {
		return nil
	}
	if err := ca.eng.Lock(conference.ConfBridge, req.Get("Conference"), lock); err != nil {
		s.Error(req, "No Conference by that name found.")
		return nil
	}
	if lock {
		s.Ack(req, "Conference locked")
	} else {
		s.Ack(req, "Conference unlocked")
	}
	return nil
}

func (ca *confAMI) commands() []*cli.Command {
	return []*cli.Command{
		{Words: []string{"meetme", "list"}, Args: "[<confno>]", Summary: "List all conferences or a specific conference.",
			Usage:   "Usage: meetme list [<confno>] [concise]\n       List all conferences or a specific conference.\n",
			MaxArgs: 2, Run: ca.cliMeetmeList},
		{Words: []string{"meetme", "kick"}, Args: "<confno> <usernumber|all>", Summary: "Kick a conference or a user in a conference.",
			Usage: "Usage: meetme kick <confno> all|<userno>\n", MinArgs: 2, MaxArgs: 2,
			Run: func(_ context.Context, w io.Writer, args []string) error {
				return ca.cliMeetme(w, args, func() error { return ca.eng.Kick(conference.MeetMe, args[0], args[1]) })
			}},
		{Words: []string{"meetme", "mute"}, Args: "<confno> <usernumber|all>", Summary: "Mute a conference or a user in a conference.",
			Usage: "Usage: meetme mute <confno> all|<userno>\n", MinArgs: 2, MaxArgs: 2,
			Run: func(_ context.Context, w io.Writer, args []string) error {
				return ca.cliMeetme(w, args, func() error { return ca.eng.Mute(conference.MeetMe, args[0], args[1], true) })
			}},
		{Words: []string{"meetme", "unmute"}, Args: "<confno> <usernumber|all>", Summary: "Unmute a conference or a user in a conference.",
			Usage: "Usage: meetme unmute <confno> all|<userno>\n", MinArgs: 2, MaxArgs: 2,
			Run: func(_ context.Context, w io.Writer, args []string) error {
				return ca.cliMeetme(w, args, func() error { return ca.eng.Mute(conference.MeetMe, args[0], args[1], false) })
			}},
		{Words: []string{"confbridge", "list"}, Args: "[<name>]", Summary: "List conference bridges and participants.",
			Usage:   "Usage: confbridge list [<name>]\n       Lists all currently active conference bridges or a specific conference bridge.\n",
			MaxArgs: 1, Run: ca.cliConfbridgeList},
		{Words: []string{"confbridge", "kick"}, Args: "<conference> <channel>", Summary: "Kick participants out of conference bridges.",
			Usage:   "Usage: confbridge kick <conference> <channel>\n       Kicks a channel out of the conference bridge.\n             (all to kick everyone, participants to kick non-admins).\n",
			MinArgs: 2, MaxArgs: 2, Run: func(_ context.Context, w io.Writer, args []string) error {
				err := ca.eng.Kick(conference.ConfBridge, args[0], args[1])
				switch {
				case errors.Is(err, conference.ErrNoConference):
					fmt.Fprintf(w, "No conference bridge named '%s' found!\n", args[0])
				case errors.Is(err, conference.ErrNoMember):
					fmt.Fprintf(w, "No participant named '%s' found!\n", args[1])
				case err != nil:
					return err
				case args[1] == "all":
					fmt.Fprintf(w, "All participants have been kicked from '%s'\n", args[0])
				default:
					fmt.Fprintf(w, "Kicked '%s' out of conference '%s'\n", args[1], args[0])
				}
				return nil
			}},
	}
}

// cliMeetme runs a meetme kick/mute/unmute and reports its failure as
// app_meetme's admin command does.
func (ca *confAMI) cliMeetme(w io.Writer, args []string, op func() error) error {
	err := op()
	switch {
	case errors.Is(err, conference.ErrNoConference):
		fmt.Fprintf(w, "Conference %s not found.\n", args[0])
	case errors.Is(err, conference.ErrNoMember):
		fmt.Fprintf(w, "User %s not found in conference %s.\n", args[1], args[0])
	case err != nil:
		return err
	}
	return nil
}

func (ca *confAMI) cliMeetmeList(_ context.Context, w io.Writer, args []string) error {
	if len(args) == 0 || args[0] == "concise" {
		rooms := ca.eng.Conferences(conference.MeetMe)
		if len(rooms) == 0 {
			fmt.Fprint(w, "No active MeetMe conferences.\n")
			return nil
		}
		fmt.Fprintf(w, "%-14s %-14s %-10s %-8s  %-8s  %-6s\n", "Conf Num", "Parties", "Marked", "Activity", "Creation", "Locked")
		total := 0
		for _, r := range rooms {
			fmt.Fprintf(w, "%-12.12s   %04d\t      %4.4s       %s  %-8s  %-6s\n", r.Name, r.Members, marked(r),
				clock(time.Since(r.Created)), creation(r), yesNo(r.Locked))
			total += r.Members
		}
		fmt.Fprintf(w, "* Total number of MeetMe users: %d\n", total)
		return nil
	}
	_, ms, err := ca.eng.Members(conference.MeetMe, args[0])
	if err != nil {
		fmt.Fprintf(w, "No such conference: %s.\n", args[0])
		return nil
	}
	for i := range ms {
		mi := &ms[i]
		num, name := mi.Channel.CallerID()
		flags := ""
		if mi.Admin {
			flags += "(Admin) "
		}
		if mi.Marked {
			flags += "(Marked) "
		}
		if mi.Muted {
			flags += "(Muted) "
		}
		fmt.Fprintf(w, "User #: %-2.2d %12.12s %-20.20s Channel: %s %s%s %s\n", mi.User, orUnknown(num), orUnknown(name),
			mi.Channel.Name(), flags, meetmeRole(mi), clock(time.Since(mi.Joined)))
	}
	fmt.Fprintf(w, "%d users in that conference.\n", len(ms))
	return nil
}

func (ca *confAMI) cliConfbridgeList(_ context.Context, w io.Writer, args []string) error {
	if len(args) == 0 {
		fmt.Fprintf(w, "Conference Bridge Name           Users  Marked Locked Muted\n")
		fmt.Fprintf(w, "================================ ====== ====== ====== =====\n")
		for _, r := range ca.eng.Conferences(conference.ConfBridge) {
			fmt.Fprintf(w, "%-32s %6d %6d %-6s %s\n", r.Name, r.Members, r.Marked, yesNo(r.Locked), "No")
		}
		return nil
	}
	_, ms, err := ca.eng.Members(conference.ConfBridge, args[0])
	if err != nil {
		fmt.Fprintf(w, "No conference bridge named '%s' found!\n", args[0])
		return nil
	}
	fmt.Fprintf(w, "%-30s %-6s %-16s %-16s %-16s %s\n", "Channel", "Flags", "User Profile", "Bridge Profile", "Menu", "CallerID")
	fmt.Fprintf(w, "============================== ====== ================ ================ ================ ================\n")
	for i := range ms {
		mi := &ms[i]
		flags := ""
		if mi.Admin {
			flags += "A"
		}
		if mi.Marked {
			flags += "M"
		}
		if mi.WaitMark {
			flags += "W"
		}
		if mi.EndMark {
			flags += "E"
		}
		if mi.Muted {
			flags += "m"
		}
		num, _ := mi.Channel.CallerID()
		fmt.Fprintf(w, "%-30s %-6s %-16s %-16s %-16s %s\n", mi.Channel.Name(), flags, "", "", "", orUnknown(num))
	}
	return nil
}
