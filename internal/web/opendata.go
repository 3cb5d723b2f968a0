package web

func (s *Server) openDataRoutes() {}
