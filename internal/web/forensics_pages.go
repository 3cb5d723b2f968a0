package web

type chartCache struct{}

func (s *Server) forensicsRoutes() {}
