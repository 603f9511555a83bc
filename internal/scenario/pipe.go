package scenario

import "io"

// Pipe writes buffers to a writer on its own goroutine, in order, so that
// generating lines and writing them out overlap.
type Pipe struct {
	full chan []byte
	free chan []byte
	done chan error
}

// Buffers in flight, and the size at which a buffer is sent.
const (
	PipeBuffers = 4
	PipeChunk   = 512 << 10
)

func NewPipe(w io.Writer) *Pipe {
	p := &Pipe{
		full: make(chan []byte, PipeBuffers),
		free: make(chan []byte, PipeBuffers),
		done: make(chan error, 1),
	}
	for range PipeBuffers {
		p.free <- make([]byte, 0, PipeChunk+PipeChunk/4)
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

// Buffer returns an empty buffer to fill, waiting for one to be written if
// all are in flight.
func (p *Pipe) Buffer() []byte { return <-p.free }

// Send queues b for writing; b must come from Buffer.
func (p *Pipe) Send(b []byte) { p.full <- b }

// Close waits until every buffer sent is written and returns the first
// write error.
func (p *Pipe) Close() error {
	close(p.full)
	return <-p.done
}
