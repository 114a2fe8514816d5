package pbxami

import (
	"log/slog"

	"github.com/asterism-pbx/asterism/manager"
)

// startQueues starts queues (issue 4; not yet).
func startQueues(*PBX, *manager.Manager, Config, *slog.Logger) error {
	return nil
}
