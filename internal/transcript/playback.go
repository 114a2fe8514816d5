package transcript

import (
	"bytes"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// playbackDialWait bounds how long a Playback dial waits for the fake server
// to reach the next Connect step.
const playbackDialWait = 10 * time.Second

// Playback starts a fake server that plays the server side of tr and returns
// a dial function for [Run] and [Replay]. It exists to test the replay
// engine and the transcripts themselves.
//
// The fake walks the steps in order: each dial is the next Connect step's
// connection (an in-memory [net.Pipe]); at a Send step it reads as many bytes
// as were recorded and reports with t.Errorf if they differ; at a Recv step
// it writes the recorded bytes; at RemoteClosed it closes the connection. It
// does not reproduce the recorded timing. It stops when the test ends.
func Playback(t testing.TB, tr *Transcript) func() (net.Conn, error) {
	accept := make(chan net.Conn)
	stop := make(chan struct{})
	done := make(chan struct{})
	var mu sync.Mutex
	var all []net.Conn // every server end, closed when the test ends
	t.Cleanup(func() {
		close(stop)
		mu.Lock()
		for _, c := range all {
			c.Close()
		}
		mu.Unlock()
		<-done
	})
	go func() {
		defer close(done)
		conns := map[string]net.Conn{}
		closed := map[string]bool{}
		for _, st := range tr.Steps {
			c := conns[st.Conn]
			switch st.Kind {
			case Connect:
				select {
				case c = <-accept:
					conns[st.Conn] = c
				case <-stop:
					return
				}
			case Send:
				if closed[st.Conn] {
					continue
				}
				buf := make([]byte, len(st.Bytes))
				if _, err := io.ReadFull(c, buf); err != nil {
					continue // the client closed: the replay reports that
				}
				if !bytes.Equal(buf, st.Bytes) {
					t.Errorf("playback %s: conn %s: at line %d the client sent %q, want %q",
						tr.Name, st.Conn, st.Line, buf, st.Bytes)
				}
			case Recv:
				if !closed[st.Conn] {
					c.Write(st.Bytes) // fails only if the client closed, which the replay reports
				}
			case RemoteClosed:
				c.Close()
				closed[st.Conn] = true
			}
		}
	}()
	return func() (net.Conn, error) {
		cli, srv := net.Pipe()
		mu.Lock()
		all = append(all, srv)
		mu.Unlock()
		timer := time.NewTimer(playbackDialWait)
		defer timer.Stop()
		select {
		case accept <- srv:
			return cli, nil
		case <-done:
		case <-timer.C:
		}
		cli.Close()
		return nil, errors.New("playback " + tr.Name + ": no connection expected now")
	}
}
