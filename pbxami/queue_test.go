package pbxami_test

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/asterism-pbx/asterism/ami"
	"github.com/asterism-pbx/asterism/amitest"
	"github.com/asterism-pbx/asterism/app/queue"
)

const queueExtensions = `[default]
exten => 700,1,Answer()
 same => n,Queue(q)
 same => n,Hangup()
exten => 701,1,Answer()
 same => n,Queue(q,,,,2)
 same => n,UserEvent(QueueDone,Status: ${QUEUESTATUS},Abandoned: ${ABANDONED})
 same => n,Hangup()
exten => 702,1,Answer()
 same => n,Queue(nosuch)
 same => n,UserEvent(QueueDone,Status: ${QUEUESTATUS})
 same => n,Hangup()
exten => 703,1,AddQueueMember(q,Sim/d)
 same => n,UserEvent(QueueApp,Status: ${AQMSTATUS})
 same => n,AddQueueMember(q,Sim/d)
 same => n,UserEvent(QueueApp,Status: ${AQMSTATUS})
 same => n,PauseQueueMember(q,Sim/d,,tea)
 same => n,UserEvent(QueueApp,Status: ${PQMSTATUS})
 same => n,UnpauseQueueMember(,Sim/zz)
 same => n,UserEvent(QueueApp,Status: ${UPQMSTATUS})
 same => n,RemoveQueueMember(q,Sim/a)
 same => n,UserEvent(QueueApp,Status: ${RQMSTATUS})
 same => n,RemoveQueueMember(q,Sim/d)
 same => n,UserEvent(QueueApp,Status: ${RQMSTATUS})
 same => n,RemoveQueueMember(nosuch,Sim/d)
 same => n,UserEvent(QueueApp,Status: ${RQMSTATUS})
 same => n,Hangup()
exten => 704,1,Answer()
 same => n,Queue(q)
 same => n,UserEvent(QueueDone,Status: ${QUEUESTATUS},Abandoned: ${ABANDONED})
 same => n,Hangup()
exten => 706,1,Answer()
 same => n,Queue(hi)
 same => n,Hangup()
exten => 707,1,Answer()
 same => n,Queue(lo,n)
 same => n,UserEvent(QueueDone,Status: ${QUEUESTATUS},Abandoned: ${ABANDONED})
 same => n,Hangup()
exten => 708,1,UserEvent(QueueFuncs,Exists: ${QUEUE_EXISTS(q)}${QUEUE_EXISTS(nosuch)},Waiting: ${QUEUE_WAITING_COUNT(q)},Count: ${QUEUE_MEMBER(q,count)},Logged: ${QUEUE_MEMBER(q,logged)},Free: ${QUEUE_MEMBER(q,free)},Ready: ${QUEUE_MEMBER(q,ready)},Penalty: ${QUEUE_MEMBER(q,penalty,Sim/b)},Paused: ${QUEUE_MEMBER(q,paused,Sim/a)},Bad: ${QUEUE_MEMBER(q,penalty,Sim/zz)}${QUEUE_MEMBER(q,bogus)})
 same => n,Hangup()
exten => 705,1,Answer()
 same => n,Set(QUEUE_PRIO=10)
 same => n,Queue(q)
 same => n,Hangup()
`

const queueSim = `[a]
answer = 200ms
play = silence
[b]
answer = 200ms
play = silence
[c]
answer = 200ms
play = silence
[na]
answer = noanswer
[nb]
answer = noanswer
[busy]
answer = busy
[slow]
answer = 800ms
play = silence
`

// startQueueServer starts a server whose queues.conf is qconf.
func startQueueServer(t *testing.T, qconf string) *amitest.Server {
	t.Helper()
	dir := t.TempDir()
	for name, text := range map[string]string{"manager.conf": amitest.DefaultManagerConf, "extensions.conf": queueExtensions,
		"sim.conf": queueSim, "queues.conf": qconf} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return start(t, amitest.ConfigDir(dir))
}

// callQueue starts a caller on extension exten (a Local channel whose ;2
// runs the queue) and returns its ;2's name prefix.
func callQueue(t *testing.T, c *conn, exten string) {
	t.Helper()
	r := c.do("Originate", "Channel", "Local/"+exten+"@default", "Application", "Wait", "Data", "30",
		"CallerID", `"Queue Caller" <5556>`, "Async", "true")
	if r.Get("Response") != "Success" {
		t.Fatalf("originate: %v", r)
	}
}

// waitNew is wait for a message read after the first mark ones.
func (c *conn) waitNew(mark int, ok func(*ami.Message) bool) *ami.Message {
	c.t.Helper()
	old := make(map[*ami.Message]bool, mark)
	for _, m := range c.seen[:mark] {
		old[m] = true
	}
	return c.wait(func(m *ami.Message) bool { return !old[m] && ok(m) })
}

// since returns the events read after mark.
func (c *conn) since(mark int) []*ami.Message { return c.seen[mark:] }

func names(ms []*ami.Message, event, key string) []string {
	var out []string
	for _, m := range ms {
		if m.Get("Event") == event {
			out = append(out, m.Get(key))
		}
	}
	return out
}

// oneCall runs one answered call through queue q (extension 700) and
// hangs the caller up once connected; it returns the members rung (in
// AgentCalled order) and the one connected.
func oneCall(t *testing.T, srv *amitest.Server, c *conn) (called []string, connected string) {
	t.Helper()
	return oneCallKeep(t, srv, c, 0)
}

// oneCallKeep is oneCall where keep channels outside the call stay up.
func oneCallKeep(t *testing.T, srv *amitest.Server, c *conn, keep int) (called []string, connected string) {
	t.Helper()
	mark := len(c.seen)
	callQueue(t, c, "700")
	conn := c.waitNew(mark, func(m *ami.Message) bool { return m.Get("Event") == "AgentConnect" })
	// Every ringing member has been dealt with before the bridge.
	ms := c.since(mark)
	called = names(ms, "AgentCalled", "Interface")
	connected = conn.Get("Interface")
	c.do("Hangup", "Channel", conn.Get("Channel"))
	c.waitNew(mark, func(m *ami.Message) bool { return m.Get("Event") == "AgentComplete" })
	deadline := time.Now().Add(5 * time.Second)
	for srv.PBX.Core.Count() != keep {
		if time.Now().After(deadline) {
			var left []string
			for _, ch := range srv.PBX.Core.Channels() {
				left = append(left, ch.Name()+" "+ch.State().String())
			}
			t.Fatalf("channels left after the call: %v", left)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return called, connected
}

// TestQueueStrategies runs calls through a queue of three simulated
// phones for each strategy and checks who is rung, against the
// selection app_queue documents (and, for the random ones, a Selector
// with the same seed).
func TestQueueStrategies(t *testing.T) {
	cases := []struct {
		strategy string
		want     [][]string // members rung per call
	}{
		{"ringall", [][]string{{"Sim/a", "Sim/b", "Sim/c"}, {"Sim/a", "Sim/b", "Sim/c"}}},
		{"rrmemory", [][]string{{"Sim/a"}, {"Sim/b"}, {"Sim/c"}, {"Sim/a"}}},
		{"rrordered", [][]string{{"Sim/a"}, {"Sim/b"}, {"Sim/c"}, {"Sim/a"}}},
		{"linear", [][]string{{"Sim/a"}, {"Sim/a"}, {"Sim/a"}}},
		// Equal metrics: the last member wins (Asterisk's attempt list).
		{"fewestcalls", [][]string{{"Sim/c"}, {"Sim/b"}, {"Sim/a"}, {"Sim/c"}}},
		{"leastrecent", [][]string{{"Sim/c"}, {"Sim/b"}, {"Sim/a"}, {"Sim/c"}}},
		{"random", nil},
		{"wrandom", nil},
	}
	for _, tc := range cases {
		t.Run(tc.strategy, func(t *testing.T) {
			srv := startQueueServer(t, "[q]\nstrategy = "+tc.strategy+"\ntimeout = 5\nretry = 1\nmember => Sim/a\nmember => Sim/b,1\nmember => Sim/c\n")
			if tc.strategy != "wrandom" {
				// Only wrandom uses penalties as weights; elsewhere b's
				// tier would hide it, so give it 0 again.
				c := dial(t, srv)
				if r := c.do("QueuePenalty", "Queue", "q", "Interface", "Sim/b", "Penalty", "0"); r.Get("Response") != "Success" {
					t.Fatalf("QueuePenalty: %v", r)
				}
			}
			want := tc.want
			if want == nil {
				srv.PBX.Queues.SetRand(rand.New(rand.NewPCG(42, 43)))
				pen := 0
				if tc.strategy == "wrandom" {
					pen = 1
				}
				st, _ := queue.ParseStrategy(tc.strategy)
				r := rand.New(rand.NewPCG(42, 43))
				sel := &queue.Selector{Strategy: st, Rand: r.IntN, Members: []*queue.Member{{}, {Penalty: pen}, {}}}
				for range 4 {
					idx := sel.Next(time.Now())
					want = append(want, []string{"Sim/" + string(rune('a'+idx[0]))})
				}
			}
			c := dial(t, srv)
			for i, w := range want {
				called, connected := oneCall(t, srv, c)
				if strings.Join(called, " ") != strings.Join(w, " ") {
					t.Fatalf("call %d: rung %v, want %v", i+1, called, w)
				}
				if connected != w[0] && len(w) == 1 {
					t.Fatalf("call %d: connected %s, want %s", i+1, connected, w[0])
				}
			}
			_, items := c.list("QueueStatus", "Queue", "q")
			total := 0
			for _, m := range items {
				if m.Get("Event") == "QueueMember" {
					total += atoi(m.Get("CallsTaken"))
				}
				if m.Get("Event") == "QueueParams" && m.Get("Completed") != itoa(len(want)) {
					t.Errorf("Completed = %s, want %d", m.Get("Completed"), len(want))
				}
			}
			if total != len(want) {
				t.Errorf("CallsTaken sum = %d, want %d", total, len(want))
			}
		})
	}
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func itoa(n int) string { return strconv.Itoa(n) }
