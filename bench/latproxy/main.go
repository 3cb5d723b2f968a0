// Command latproxy forwards TCP connections and delays every chunk it
// reads by a fixed time in each direction: a network's latency (not its
// bandwidth) between vigil and PostgreSQL on one machine, for measuring
// what the database's distance costs the intake (docs/performance.md,
// "The intake on PostgreSQL: nine round trips a commit"), where the
// kernel offers no netem.
//
//	go run ./bench/latproxy -listen 127.0.0.1:54339 -to 127.0.0.1:54329 -delay 250us &
//	vigil-load self --db 'postgres://…@127.0.0.1:54339/…' --clients 200 --reports 60000 --warmup 20000
//
// Chunks keep their order; each is written no sooner than delay after it
// was read.
package main

import (
	"flag"
	"io"
	"log"
	"net"
	"time"
)

type chunk struct {
	b  []byte
	at time.Time
}

// pipe copies src to dst, each chunk delay after it was read, then closes
// dst's writing side.
func pipe(dst, src net.Conn, delay time.Duration) {
	ch := make(chan chunk, 1024)
	go func() {
		defer close(ch)
		for {
			buf := make([]byte, 64<<10)
			n, err := src.Read(buf)
			if n > 0 {
				ch <- chunk{buf[:n], time.Now().Add(delay)}
			}
			if err != nil {
				return
			}
		}
	}()
	for c := range ch {
		time.Sleep(time.Until(c.at))
		if _, err := dst.Write(c.b); err != nil {
			break
		}
	}
	if tc, ok := dst.(*net.TCPConn); ok {
		tc.CloseWrite()
	}
	io.Copy(io.Discard, src)
}

func main() {
	listen := flag.String("listen", "127.0.0.1:54339", "address to listen on")
	to := flag.String("to", "127.0.0.1:5432", "address to forward to")
	delay := flag.Duration("delay", 250*time.Microsecond, "delay in each direction (a round trip is twice this)")
	flag.Parse()
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	for {
		c, err := ln.Accept()
		if err != nil {
			log.Fatal(err)
		}
		go func() {
			defer c.Close()
			s, err := net.Dial("tcp", *to)
			if err != nil {
				log.Print(err)
				return
			}
			defer s.Close()
			go pipe(s, c, *delay)
			pipe(c, s, *delay)
		}()
	}
}
