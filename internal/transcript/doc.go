// Package transcript turns recorded AMI sessions of a real Asterisk into
// golden tests: it parses a transcript, replays its client side against a
// running server and checks that the server answers as Asterisk did.
//
// The transcripts live in testdata/asterisk-20.20.1 (see its README.md for
// the format and for what each scenario shows). [Parse] and [ParseFile] read
// one into a [Transcript], a list of [Step]s: Connect, Send, Recv,
// RemoteClosed, ClientClosed and Note, each naming its connection.
//
// Received chunks are cut wherever the recorder's 15 ms timer fell, so
// comparisons work on messages, not chunks: [SplitMessages] cuts a server's
// output into the banner line and blocks closed by an empty line.
//
// [Replay] (or [Run], which returns the problems instead of failing a test)
// walks the steps in order across connections, waiting at each Recv step for
// the messages recorded there, then compares each connection's messages with
// the transcript's: same banner byte for byte, same blocks in the same order,
// same header lines. [Rule]s relax values that must differ (timestamps,
// session ids, addresses, challenges, unique ids; see [DefaultRules]),
// [Options].Order relaxes the order of events, and [Options].Skip leaves
// messages out. [Playback] is a fake server playing a transcript's own server
// side, used to test this package.
//
// A golden test of the AMI server looks like this:
//
//	func TestGolden(t *testing.T) {
//		tr, err := transcript.ParseFile("../testdata/asterisk-20.20.1/ping.txt")
//		if err != nil {
//			t.Fatal(err)
//		}
//		srv := amitest.Start(t,
//			amitest.ConfigDir("../testdata/asterisk-20.20.1/etc"),
//			amitest.SystemName("refast"))
//		dial := func() (net.Conn, error) { return net.Dial("tcp", srv.Addr) }
//		transcript.Replay(t, tr, dial, transcript.Options{
//			Secrets: map[string]string{"admin": "adminpw", "reader": "readerpw", "caller": "callerpw"},
//			Skip:    transcript.SkipEvents("SuccessfulAuth"), // not implemented yet
//		})
//	}
//
// A failure names the connection, the message index (0 is the banner), the
// first differing line, and both blocks:
//
//	transcript ping: conn a: message 1 differs (got message 1): line 3: want "Message: Authentication accepted", got "Message: Authentication Accepted"
package transcript
