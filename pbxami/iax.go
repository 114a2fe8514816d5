package pbxami

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"strconv"

	"github.com/asterism-pbx/asterism/ami"
	"github.com/asterism-pbx/asterism/chan/iax2"
	"github.com/asterism-pbx/asterism/cli"
	"github.com/asterism-pbx/asterism/manager"
)

// startIAX2 starts chan_iax2: iax.conf's peers on a UDP endpoint, the
// IAX2 technology, PeerStatus events, the IAX actions and the "iax2
// show" commands. Without iax.conf there is no endpoint and the lists are
// empty. When the configured port is taken the endpoint goes on an
// ephemeral port of the same address, with an error logged, so that a
// PBX still starts (Asterisk's chan_iax2 also loads without its socket).
func startIAX2(p *PBX, m *manager.Manager, cfg Config, log *slog.Logger) error {
	ia := &iaxAMI{}
	c, err := iax2.Load(cfg.Dir, log)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return err
	default:
		opts := iax2.Options{Addr: cfg.IAXAddr, Logger: log, Core: p.Core, Events: func(ev iax2.PeerStatusEvent) {
			h := []ami.Header{{Key: "ChannelType", Value: "IAX2"}, {Key: "Peer", Value: "IAX2/" + ev.Peer}, {Key: "PeerStatus", Value: ev.Status}}
			if ev.Address != "" {
				h = append(h, ami.Header{Key: "Address", Value: ev.Address})
			}
			if ev.Cause != "" {
				h = append(h, ami.Header{Key: "Cause", Value: ev.Cause})
			}
			m.Publish(&manager.Event{Name: "PeerStatus", Class: manager.PermSystem, Headers: h})
		}}
		tech, err := iax2.New(c, opts)
		if err != nil && opts.Addr == "" {
			host := ""
			if c.BindAddr.IsValid() {
				host = c.BindAddr.String()
			}
			log.Error("iax2: cannot bind the configured port; using an ephemeral one", "err", err)
			opts.Addr = net.JoinHostPort(host, "0")
			tech, err = iax2.New(c, opts)
		}
		if err != nil {
			return fmt.Errorf("iax2: %w", err)
		}
		if err := p.Core.Register(tech); err != nil {
			tech.Close()
			return fmt.Errorf("iax2: %w", err)
		}
		ia.tech = tech
		p.IAX2 = tech
		p.closers = append(p.closers, tech.Close)
	}
	for _, a := range ia.actions() {
		if err := m.Register(a); err != nil {
			return fmt.Errorf("iax2: %w", err)
		}
	}
	for _, c := range ia.commands() {
		if err := m.CLI().Register(c); err != nil {
			return fmt.Errorf("iax2: %w", err)
		}
	}
	return nil
}

// iaxAMI renders chan_iax2's actions and commands; tech is nil without
// iax.conf.
type iaxAMI struct{ tech *iax2.Tech }

func (ia *iaxAMI) peers() []iax2.PeerInfo {
	if ia.tech == nil {
		return nil
	}
	ps := ia.tech.Peers()
	// Asterisk lists its peers in the order of its hash container, which
	// gives the reference's two peers in reverse; reversed iax.conf order
	// reproduces that.
	for i, j := 0, len(ps)-1; i < j; i, j = i+1, j-1 {
		ps[i], ps[j] = ps[j], ps[i]
	}
	return ps
}

func (ia *iaxAMI) actions() []*manager.Action {
	perm := manager.PermSystem | manager.PermReporting
	return []*manager.Action{
		{Name: "IAXpeers", Perm: perm, Synopsis: "List IAX peers.", Handler: ia.iaxPeers},
		{Name: "IAXpeerlist", Perm: perm, Synopsis: "List IAX Peers.", Handler: ia.iaxPeerList},
		{Name: "IAXregistry", Perm: perm, Synopsis: "Show IAX registrations.", Handler: ia.iaxRegistry},
		{Name: "IAXnetstats", Perm: perm, Synopsis: "Show IAX Netstats.", Handler: ia.iaxNetstats},
		{Name: "IAX1peers", Perm: perm, Synopsis: "List IAX version 1 Peers (obsolete: always empty).", Handler: ia.iax1Peers},
	}
}

func nullable(s string, ok bool) string {
	if !ok {
		return "(null)"
	}
	return s
}

func iaxYesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// iaxPeers is IAXpeers: as Asterisk 20, its PeerEntry items carry no
// ActionID; only PeerlistComplete does.
func (ia *iaxAMI) iaxPeers(_ context.Context, s *manager.Session, req *ami.Message) error {
	s.StartList(req, "Peer status list will follow")
	ps := ia.peers()
	for _, p := range ps {
		ok := p.Addr.IsValid()
		s.Send(&ami.Message{Headers: []ami.Header{
			{Key: "Event", Value: "PeerEntry"},
			{Key: "Channeltype", Value: "IAX2"},
			{Key: "ObjectName", Value: p.Name},
			{Key: "ChanObjectType", Value: "peer"},
			{Key: "IPaddress", Value: nullable(p.Addr.Addr().String(), ok)},
			{Key: "IPport", Value: nullable(strconv.Itoa(int(p.Addr.Port())), ok)},
			{Key: "Dynamic", Value: iaxYesNo(p.Dynamic)},
			{Key: "Trunk", Value: "no"},
			{Key: "Encryption", Value: "no"},
			{Key: "Status", Value: p.Status},
			{Key: "Description", Value: ""},
		}})
	}
	s.CompleteList(req, "PeerlistComplete", len(ps))
	return nil
}

// iaxPeerList is IAXpeerlist: the same peers with ActionID, Mask and Port.
func (ia *iaxAMI) iaxPeerList(_ context.Context, s *manager.Session, req *ami.Message) error {
	s.StartList(req, "IAX Peer status list will follow")
	ps := ia.peers()
	id := req.ActionID()
	for _, p := range ps {
		ok := p.Addr.IsValid()
		h := []ami.Header{{Key: "Event", Value: "PeerEntry"}}
		if id != "" {
			h = append(h, ami.Header{Key: "ActionID", Value: id})
		}
		h = append(h,
			ami.Header{Key: "Channeltype", Value: "IAX"},
			ami.Header{Key: "ObjectName", Value: p.Name},
			ami.Header{Key: "ChanObjectType", Value: "peer"},
			ami.Header{Key: "IPaddress", Value: nullable(p.Addr.Addr().String(), ok)},
			ami.Header{Key: "Mask", Value: nullable("255.255.255.255", !p.Dynamic)},
			ami.Header{Key: "Port", Value: nullable(strconv.Itoa(int(p.Addr.Port())), ok)},
			ami.Header{Key: "Dynamic", Value: iaxYesNo(p.Dynamic)},
			ami.Header{Key: "Trunk", Value: "no"},
			ami.Header{Key: "Encryption", Value: "no"},
			ami.Header{Key: "Status", Value: p.Status},
		)
		s.Send(&ami.Message{Headers: h})
	}
	s.CompleteList(req, "PeerlistComplete", len(ps))
	return nil
}

// iaxRegistry lists the registrations Asterism makes itself: none, as it
// has no register => lines (peers registering to it are not listed,
// as in Asterisk).
func (ia *iaxAMI) iaxRegistry(_ context.Context, s *manager.Session, req *ami.Message) error {
	s.StartList(req, "Registrations will follow")
	s.CompleteList(req, "RegistrationsComplete", 0)
	return nil
}

// iaxNetstats answers as Asterisk does: the netstats lines of the calls
// (none are kept) and a bare blank line, with no Response header.
func (ia *iaxAMI) iaxNetstats(_ context.Context, s *manager.Session, _ *ami.Message) error {
	s.SendRaw("\r\n")
	return nil
}

// iax1Peers is the seed's IAX1peers: IAX version 1 is obsolete and
// Asterism speaks IAX2 only, so the list is always empty.
func (ia *iaxAMI) iax1Peers(_ context.Context, s *manager.Session, req *ami.Message) error {
	s.StartList(req, "IAX1 is obsolete and Asterism speaks IAX2 only: no IAX1 peers will follow")
	s.CompleteList(req, "PeerlistComplete", 0)
	return nil
}

func (ia *iaxAMI) commands() []*cli.Command {
	return []*cli.Command{
		{Words: []string{"iax2", "show", "peers"}, Summary: "List defined IAX peers",
			Usage: "Usage: iax2 show peers [registered] [like <pattern>]\n       Lists all known IAX2 peers.\n", MaxArgs: 3,
			Run: func(_ context.Context, w io.Writer, _ []string) error { ia.showPeers(w); return nil }},
		{Words: []string{"iax2", "show", "peer"}, Args: "<name>", Summary: "Show details on specific IAX peer",
			Usage: "Usage: iax2 show peer <name>\n       Display details on specific IAX peer\n", MinArgs: 1, MaxArgs: 2,
			Run: ia.showPeer},
		{Words: []string{"iax2", "show", "registry"}, Summary: "Display IAX registration status",
			Usage: "Usage: iax2 show registry\n       Lists all registration requests and status.\n",
			Run: func(_ context.Context, w io.Writer, _ []string) error {
				fmt.Fprintf(w, "%-45.45s  %-6.6s  %-10.10s  %-45.45s %8.8s  %s\n", "Host", "dnsmgr", "Username", "Perceived", "Refresh", "State")
				fmt.Fprintf(w, "0 IAX2 registrations.\n")
				return nil
			}},
	}
}

func (ia *iaxAMI) showPeers(w io.Writer) {
	// Column widths as chan_iax2's in Asterisk 20 (the port column also
	// holds its trunk and encryption marks).
	fmt.Fprintf(w, "%-15.15s  %-40.40s %-4s  %-40.40s  %-15s%-11s %-32.32s\n", "Name/Username", "Host", "", "Mask", "Port", "Status", "Description")
	online, offline, unmon := 0, 0, 0
	ps := ia.peers()
	for _, p := range ps {
		ok := p.Addr.IsValid()
		kind := "(S)"
		if p.Dynamic {
			kind = "(D)"
		}
		switch {
		case p.QualifyMax == 0:
			unmon++
		case p.LastMs > 0:
			online++
		default:
			offline++
		}
		fmt.Fprintf(w, "%-15.15s  %-40.40s %s  %-40.40s  %-15s%-11s %-32.32s\n", p.Name, nullable(p.Addr.Addr().String(), ok), kind,
			nullable("255.255.255.255", !p.Dynamic), nullable(strconv.Itoa(int(p.Addr.Port())), ok), p.Status, "")
	}
	fmt.Fprintf(w, "%d iax2 peers [%d online, %d offline, %d unmonitored]\n", len(ps), online, offline, unmon)
}

func (ia *iaxAMI) showPeer(_ context.Context, w io.Writer, args []string) error {
	var p iax2.PeerInfo
	found := false
	if ia.tech != nil {
		p, found = ia.tech.Peer(args[0])
	}
	if !found {
		fmt.Fprintf(w, "Peer %s not found.\n\n", args[0])
		return nil
	}
	ok := p.Addr.IsValid()
	secret := "<Not set>"
	if p.Secret != "" {
		secret = "<Set>"
	}
	dyn := "No"
	if p.Dynamic {
		dyn = "Yes"
	}
	codecs := "(" + joinBar(p.Codecs) + ")"
	fmt.Fprintf(w, "\n\n")
	fmt.Fprintf(w, "  * Name       : %s\n", p.Name)
	fmt.Fprintf(w, "  Description  : \n")
	fmt.Fprintf(w, "  Secret       : %s\n", secret)
	fmt.Fprintf(w, "  Context      : %s\n", p.Context)
	fmt.Fprintf(w, "  Parking lot  : \n  Mailbox      : \n")
	fmt.Fprintf(w, "  Dynamic      : %s\n", dyn)
	fmt.Fprintf(w, "  Callnum limit: 0\n  Calltoken req: No\n  Trunk        : No\n  Encryption   : No\n")
	fmt.Fprintf(w, "  Callerid     : \"\" <>\n")
	fmt.Fprintf(w, "  Expire       : %d\n", p.Expire)
	fmt.Fprintf(w, "  ACL          : No\n")
	fmt.Fprintf(w, "  Addr->IP     : %s Port %s\n", nullable(p.Addr.Addr().String(), ok), nullable(strconv.Itoa(int(p.Addr.Port())), ok))
	fmt.Fprintf(w, "  Defaddr->IP  : (null) Port (null)\n")
	fmt.Fprintf(w, "  Username     : \n")
	fmt.Fprintf(w, "  Codecs       : %s\n", codecs)
	fmt.Fprintf(w, "  Codec Order  : %s\n", codecs)
	fmt.Fprintf(w, "  Status       : %s\n", p.Status)
	fmt.Fprintf(w, "  Qualify      : every 60000ms when OK, every 10000ms when UNREACHABLE (sample smoothing Off)\n")
	fmt.Fprintf(w, "\n")
	return nil
}

func joinBar(ss []string) string {
	out := ""
	for i, s := range ss {
		if i > 0 {
			out += "|"
		}
		out += s
	}
	return out
}
