// Copyright (c) 2026 The Gnet Authors. All rights reserved.
//
// Licensed under the Apache License, Version 2.0 (the "License");
// you may not use this file except in compliance with the License.
// You may obtain a copy of the License at
//
//     http://www.apache.org/licenses/LICENSE-2.0
//
// Unless required by applicable law or agreed to in writing, software
// distributed under the License is distributed on an "AS IS" BASIS,
// WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
// See the License for the specific language governing permissions and
// limitations under the License.

//go:build linux

package netpoll

import "golang.org/x/sys/unix"

// interest is the epoll event mask of ModInterest. EPOLLRDHUP is asked for only while the
// descriptor is read: a connection that is not being read must not be closed for a FIN
// that follows data nobody has read yet.
func interest(read, write, edgeTriggered bool) uint32 {
	var ev uint32
	if read {
		ev |= ReadEvents
	}
	if write {
		ev |= WriteEvents
	}
	if edgeTriggered {
		ev |= unix.EPOLLET
		if read {
			ev |= unix.EPOLLRDHUP
		}
	}
	return ev
}
