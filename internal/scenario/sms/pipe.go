package sms

import "io"

// pipe writes buffers to a writer on its own goroutine, in order, so that
// generating lines and writing them out overlap.
type pipe struct {
	full chan []byte
	free chan []byte
	done chan error
}

// Buffers in flight, and the size at which a buffer is sent.
const (
	pipeBuffers = 4
	pipeChunk   = 512 << 10
)

func newPipe(w io.Writer) *pipe {
	p := &pipe{
		full: make(chan []byte, pipeBuffers),
		free: make(chan []byte, pipeBuffers),
		done: make(chan error, 1),
	}
	for range pipeBuffers {
		p.free <- make([]byte, 0, pipeChunk+pipeChunk/4)
	}
	go func() {
		var err error
		for b := range p.full {
			if err == nil {
				_, err = w.Write(b)
			}
			p.free <- b[:0]
		}
		p.done <- err
	}()
	return p
}

// buffer returns an empty buffer to fill, waiting for one to be written if
// all are in flight.
func (p *pipe) buffer() []byte { return <-p.free }

// send queues b for writing; b must come from buffer.
func (p *pipe) send(b []byte) { p.full <- b }

// close waits until every buffer sent is written and returns the first
// write error.
func (p *pipe) close() error {
	close(p.full)
	return <-p.done
}
