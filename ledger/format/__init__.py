"""The verifiable format, pure: canonical bytes, claims and signatures, the Merkle tree, signed notes and
checkpoints, bundles and their verification. Nothing here touches a database; another implementation can
check a log with this package alone."""
