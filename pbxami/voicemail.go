package pbxami

import (
	"log/slog"

	"github.com/asterism-pbx/asterism/manager"
)

// startVoicemail starts voicemail (issue 4; not yet).
func startVoicemail(*PBX, *manager.Manager, Config, *slog.Logger) error {
	return nil
}
