package stack

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ami-notify/ami-notify/handler/internal/localaws"
)

// startMoto starts moto_server through the project's harness and stops it
// when the test ends. A missing moto_server skips the test, except in CI.
func startMoto(t *testing.T) *localaws.Moto {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	m, err := localaws.StartMoto(ctx, localaws.MotoOptions{})
	if errors.Is(err, localaws.ErrToolMissing) {
		missingTool(t, "%v", err)
	}
	if err != nil {
		t.Fatalf("start moto: %v", err)
	}
	t.Cleanup(func() {
		if err := m.Stop(); err != nil {
			t.Errorf("stop moto: %v", err)
		}
	})
	return m
}
