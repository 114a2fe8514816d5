package interop

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/asterism-pbx/asterism/amitest"
)

// nodeDir holds the Node client: package.json and package-lock.json pin
// asterisk-manager; node_modules is installed by `npm ci`.
const nodeDir = "node"

var npmOnce struct {
	sync.Once
	err error
	out []byte
}

// requireNode returns the node binary, after installing node_modules with
// `npm ci` if they are missing.
func requireNode(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		missing(t, "node is not installed: apt-get install nodejs npm")
	}
	if _, err := os.Stat(filepath.Join(nodeDir, "node_modules", "asterisk-manager")); err == nil {
		return node
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		missing(t, "npm is not installed, and %s/node_modules is missing: apt-get install npm", nodeDir)
	}
	npmOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund")
		cmd.Dir = nodeDir
		npmOnce.out, npmOnce.err = cmd.CombinedOutput()
	})
	if npmOnce.err != nil {
		missing(t, "npm ci in interop/%s failed: %v\n%s", nodeDir, npmOnce.err, npmOnce.out)
	}
	return node
}

// TestNodeAsteriskManager runs the npm package asterisk-manager (0.2.0)
// through node/client.js. It splits lines on /\r?\n/ and headers on ": ",
// ignores the banner, sorts each action's header lines, sends lowercased
// action names and "Eventmask" for EventMask, logs in with "Event: on"
// (not Events), uses the time in milliseconds as ActionID, and switches to
// raw Command output mode on any Response line containing "follow".
func TestNodeAsteriskManager(t *testing.T) {
	t.Parallel()
	node := requireNode(t)
	srv := amitest.Start(t)
	rep := runClient(t, srv, nodeDir, node, "client.js")
	if !rep.Closed {
		t.Errorf("the server did not close the connection after Logoff")
	}
	if p := rep.Steps["ping_action_second"]; p.get("response") != "Success" || p.get("ping") != "Pong" {
		t.Errorf("Ping sent with Action as its second header: %v, want Success and Pong", p)
	}
	checkScenario(t, rep)
}
