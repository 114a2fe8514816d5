package pbxami

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"

	"github.com/asterism-pbx/asterism/ami"
	"github.com/asterism-pbx/asterism/app/voicemail"
	"github.com/asterism-pbx/asterism/cli"
	"github.com/asterism-pbx/asterism/manager"
)

// startVoicemail starts voicemail: voicemail.conf, the spool under
// cfg.SpoolDir, the applications VoiceMail, VoiceMailMain, MailboxExists
// and the VM_INFO function, the actions MailboxStatus, MailboxCount,
// VoicemailUsersList and VoicemailRefresh, the MessageWaiting event, the
// CLI "voicemail show users" and "voicemail reload", and Reload of the
// app_voicemail module.
func startVoicemail(p *PBX, m *manager.Manager, cfg Config, log *slog.Logger) error {
	ad := p.Adapter
	svc, err := voicemail.New(voicemail.Options{
		ConfigDir: cfg.Dir,
		SpoolDir:  cfg.SpoolDir,
		Logger:    log,
		Notify:    func(w voicemail.MWI) { publishMWI(ad, m, w) },
	})
	if err != nil {
		return err
	}
	p.closers = append(p.closers, svc.Close)
	p.Voicemail = svc
	if err := svc.Register(p.Core); err != nil {
		return err
	}
	for _, act := range voicemailActions(svc) {
		if err := m.Register(act); err != nil {
			return err
		}
	}
	for _, c := range voicemailCommands(svc) {
		if err := m.CLI().Register(c); err != nil {
			return err
		}
	}
	m.RegisterReload("app_voicemail", svc.Reload)
	return nil
}

// publishMWI renders app_voicemail's MWI publication as manager_mwi.c
// does: the snapshot of the channel that caused it (if any) first, then
// the mailbox (always with its context) and the counts.
func publishMWI(ad *Adapter, m *manager.Manager, w voicemail.MWI) {
	h := make([]ami.Header, 0, 24)
	if w.Channel != nil {
		snap := w.Channel.Snapshot()
		h = ad.snapshotHeaders(h, &snap, w.Channel)
	}
	waiting := "0"
	if w.Waiting {
		waiting = "1"
	}
	h = append(h,
		ami.Header{Key: "Mailbox", Value: w.Box.String()},
		ami.Header{Key: "Waiting", Value: waiting},
		ami.Header{Key: "New", Value: strconv.Itoa(w.New)},
		ami.Header{Key: "Old", Value: strconv.Itoa(w.Old)},
	)
	m.Publish(&manager.Event{Name: "MessageWaiting", Class: manager.PermCall, Headers: h})
}

// voicemailActions returns the voicemail actions with Asterisk 20's
// synopses and classes (ListCommands of Asterisk 20.20.1).
func voicemailActions(svc *voicemail.Service) []*manager.Action {
	return []*manager.Action{
		{Name: "MailboxStatus", Perm: manager.PermCall | manager.PermReporting,
			Synopsis: "Check mailbox.", Handler: func(_ context.Context, s *manager.Session, req *ami.Message) error {
				mb := req.Get("Mailbox")
				if mb == "" {
					s.Error(req, "Mailbox not specified")
					return nil
				}
				waiting := "0"
				if svc.Waiting(mb) {
					waiting = "1"
				}
				s.Respond(req, "Success", "Message", "Mailbox Status", "Mailbox", mb, "Waiting", waiting)
				return nil
			}},
		{Name: "MailboxCount", Perm: manager.PermCall | manager.PermReporting,
			Synopsis: "Check Mailbox Message Count.", Handler: func(_ context.Context, s *manager.Session, req *ami.Message) error {
				mb := req.Get("Mailbox")
				if mb == "" {
					s.Error(req, "Mailbox not specified")
					return nil
				}
				u, n, o := svc.CountList(mb)
				s.Respond(req, "Success", "Message", "Mailbox Message Count", "Mailbox", mb,
					"UrgMessages", strconv.Itoa(u), "NewMessages", strconv.Itoa(n), "OldMessages", strconv.Itoa(o))
				return nil
			}},
		{Name: "VoicemailUsersList", Perm: manager.PermCall | manager.PermReporting,
			Synopsis: "List All Voicemail User Information.", Handler: func(_ context.Context, s *manager.Session, req *ami.Message) error {
				users := svc.Config().Users
				if len(users) == 0 {
					s.Ack(req, "There are no voicemail users currently defined.")
					return nil
				}
				s.StartList(req, "Voicemail user list will follow")
				for _, u := range users {
					s.Send(userEntry(svc, req, u))
				}
				s.CompleteList(req, "VoicemailUserEntryComplete", len(users))
				return nil
			}},
		{Name: "VoicemailRefresh", Perm: manager.PermUser,
			Synopsis: "Tell Asterisk to poll mailboxes for a change", Handler: func(_ context.Context, s *manager.Session, req *ami.Message) error {
				svc.Poll(req.Get("Mailbox"), req.Get("Context"))
				s.Ack(req, "Refresh sent")
				return nil
			}},
	}
}

// userEntry is append_vmu_info_astman: ActionID right after Event, no
// Privilege, Asterisk's field order.
func userEntry(svc *voicemail.Service, req *ami.Message, u *voicemail.User) *ami.Message {
	yn := func(b bool) string {
		if b {
			return "Yes"
		}
		return "No"
	}
	b := voicemail.Box{Mailbox: u.Mailbox, Context: u.Context}
	urgent, newMsgs, old, _ := svc.Spool().Counts(b)
	h := make([]ami.Header, 0, 32)
	h = append(h, ami.Header{Key: "Event", Value: "VoicemailUserEntry"})
	if id := req.ActionID(); id != "" {
		h = append(h, ami.Header{Key: "ActionID", Value: id})
	}
	kv := []string{
		"VMContext", u.Context,
		"VoiceMailbox", u.Mailbox,
		"Fullname", u.FullName,
		"Email", u.Email,
		"Pager", u.Pager,
		"ServerEmail", u.ServerEmail,
		"FromString", u.FromString,
		"MailCommand", svc.Config().General.MailCmd,
		"Language", u.Language,
		"TimeZone", u.TZ,
		"Callback", u.Callback,
		"Dialout", u.Dialout,
		"UniqueID", "",
		"ExitContext", u.ExitContext,
		"SayDurationMinimum", strconv.Itoa(u.SayDurationM),
		"SayEnvelope", yn(u.Envelope),
		"SayCID", yn(u.SayCID),
		"AttachMessage", yn(u.Attach),
		"AttachmentFormat", u.AttachFmt,
		"DeleteMessage", yn(u.Delete),
		"VolumeGain", fmt.Sprintf("%.2f", u.VolGain),
		"CanReview", yn(u.Review),
		"CanMarkUrgent", yn(u.LeaveUrgent),
		"CallOperator", yn(u.Operator),
		"MaxMessageCount", strconv.Itoa(u.MaxMsg),
		"MaxMessageLength", strconv.Itoa(u.MaxSecs),
		// inboxcount: INBOX and Urgent together, unlike MailboxCount.
		"NewMessageCount", strconv.Itoa(newMsgs + urgent),
		"OldMessageCount", strconv.Itoa(old),
	}
	for i := 0; i < len(kv); i += 2 {
		h = append(h, ami.Header{Key: kv[i], Value: kv[i+1]})
	}
	return &ami.Message{Headers: h}
}

// voicemailCommands returns "voicemail show users" and "voicemail reload".
func voicemailCommands(svc *voicemail.Service) []*cli.Command {
	return []*cli.Command{
		{
			Words:   []string{"voicemail", "show", "users"},
			Args:    "[for <context>]",
			Summary: "List defined voicemail boxes",
			Usage:   "Usage: voicemail show users [for <context>]\n       Lists all mailboxes currently set up\n",
			MaxArgs: 2,
			Run: func(_ context.Context, w io.Writer, args []string) error {
				return showVoicemailUsers(svc, w, args)
			},
		},
		{
			Words:   []string{"voicemail", "reload"},
			Summary: "Reload voicemail configuration",
			Usage:   "Usage: voicemail reload\n       Reload voicemail configuration\n",
			Run: func(_ context.Context, w io.Writer, _ []string) error {
				fmt.Fprint(w, "Reloading voicemail configuration...\n")
				if err := svc.Reload(); err != nil {
					return fmt.Errorf("voicemail reload: %w", err)
				}
				return nil
			},
		},
	}
}

// showVoicemailUsers is handle_voicemail_show_users.
func showVoicemailUsers(svc *voicemail.Service, w io.Writer, args []string) error {
	if len(args) == 1 || (len(args) == 2 && args[0] != "for") {
		return cli.ErrShowUsage
	}
	const format = "%-10s %-5s %-25s %-10s %6s\n"
	users := svc.Config().Users
	if len(users) == 0 {
		fmt.Fprint(w, "There are no voicemail users currently defined\n")
		return nil
	}
	ctx := ""
	if len(args) == 2 {
		ctx = args[1]
		found := false
		for _, u := range users {
			found = found || u.Context == ctx
		}
		if !found {
			fmt.Fprintf(w, "No such voicemail context \"%s\"\n", ctx)
			return nil
		}
	}
	fmt.Fprintf(w, format, "Context", "Mbox", "User", "Zone", "NewMsg")
	n := 0
	for _, u := range users {
		if ctx != "" && u.Context != ctx {
			continue
		}
		urgent, newMsgs, _, _ := svc.Spool().Counts(voicemail.Box{Mailbox: u.Mailbox, Context: u.Context})
		fmt.Fprintf(w, format, u.Context, u.Mailbox, u.FullName, u.TZ, strconv.Itoa(newMsgs+urgent))
		n++
	}
	fmt.Fprintf(w, "%d voicemail users configured.\n", n)
	return nil
}
