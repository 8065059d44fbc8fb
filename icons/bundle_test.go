package icons

import (
	"bytes"
	"image"
	_ "image/png"
	"testing"
)

func TestAppIconIsA512SquarePNG(t *testing.T) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(AppIcon.Content()))
	if err != nil {
		t.Fatalf("decoding the app icon: %v", err)
	}
	if format != "png" || cfg.Width != 512 || cfg.Height != 512 {
		t.Fatalf("app icon is %s %dx%d, want png 512x512", format, cfg.Width, cfg.Height)
	}
}
