package natsexec_test

import (
	"os"
	"os/signal"
	"syscall"
)

func notify(ch chan os.Signal) { signal.Notify(ch, syscall.SIGTERM, os.Interrupt) }
