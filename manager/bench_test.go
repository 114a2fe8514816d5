package manager_test

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/asterism-pbx/asterism/ami"
	"github.com/asterism-pbx/asterism/amitest"
	"github.com/asterism-pbx/asterism/manager"
)

// rawLogin dials and logs in, returning the conn positioned after the
// login answer.
func rawLogin(b *testing.B, addr, events string) (net.Conn, *bufio.Reader) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	br := bufio.NewReaderSize(c, 256<<10)
	if _, err := br.ReadString('\n'); err != nil {
		b.Fatal(err)
	}
	io.WriteString(c, "Action: Login\r\nUsername: admin\r\nSecret: amp111\r\nEvents: "+events+"\r\n\r\n")
	rd := ami.NewReader(br)
	for {
		m, err := rd.ReadMessage()
		if err != nil {
			b.Fatal(err)
		}
		if m.Get("Response") != "" {
			break
		}
	}
	return c, br
}

// countBlocks reads until n AMI blocks (ending in an empty line) have been
// seen.
func countBlocks(br *bufio.Reader, n int) error {
	for seen := 0; seen < n; {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return err
		}
		if len(line) == 2 {
			seen++
		}
	}
	return nil
}

// BenchmarkPipelinedPing measures Pings written without waiting on one
// connection, through the real server over loopback TCP; ns/op includes
// the client's share.
func BenchmarkPipelinedPing(b *testing.B) {
	srv := amitest.Start(b)
	c, br := rawLogin(b, srv.Addr, "off")
	defer c.Close()
	var req bytes.Buffer
	for i := range 1000 {
		req.WriteString("Action: Ping\r\nActionID: " + strconv.Itoa(i) + "\r\n\r\n")
	}
	b.ReportAllocs()
	b.ResetTimer()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for sent := 0; sent < b.N; sent += 1000 {
			c.Write(req.Bytes())
		}
	}()
	total := (b.N + 999) / 1000 * 1000
	if err := countBlocks(br, total); err != nil {
		b.Fatal(err)
	}
	wg.Wait()
}

// BenchmarkFanout measures one event published to 100 subscribers that
// read as fast as they can; ns/op is per published event (100 deliveries).
func BenchmarkFanout(b *testing.B) {
	srv := amitest.Start(b)
	const subs = 100
	var wg sync.WaitGroup
	conns := make([]net.Conn, subs)
	for i := range subs {
		c, br := rawLogin(b, srv.Addr, "user")
		conns[i] = c
		defer c.Close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.SetReadDeadline(time.Now().Add(2 * time.Minute))
			countBlocks(br, b.N)
		}()
	}
	ev := []ami.Header{{Key: "UserEvent", Value: "Bench"}, {Key: "Seq", Value: "12345"}, {Key: "Data", Value: strings.Repeat("x", 60)}}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		srv.Manager.Publish(&manager.Event{Name: "UserEvent", Class: manager.PermUser, Headers: ev})
	}
	wg.Wait()
	b.StopTimer()
	if st := srv.Manager.Stats(); st.EventsLost != 0 {
		b.Fatalf("lost %d events", st.EventsLost)
	}
}
