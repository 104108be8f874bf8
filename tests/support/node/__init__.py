"""A real one-node Kubernetes cluster on this machine: containers, a kubelet, real pods.

``RealNode.start()`` (``cluster.py``) runs, in one temporary folder of its own:
etcd, kube-apiserver, kube-controller-manager and kube-scheduler (the Debian build of
Kubernetes 1.20.2, ``scripts/install-control-plane.sh``), containerd + runc with a CNI bridge,
a kubelet and kube-proxy, and a dockerd that builds the project's image from its Dockerfile
(``images.py``). ``stop()`` ends every process by its own pid and removes every mount,
network interface and folder it made; ``leftovers.py`` checks that nothing is left.
Recipe and traps: /work/shared/real-node.md; overview: docs/testing.md.
"""
