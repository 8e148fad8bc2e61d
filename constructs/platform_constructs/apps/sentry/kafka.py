"""Single-node Kafka for Sentry: official ``apache/kafka`` image, KRaft (broker + controller in
one process), one StatefulSet replica with its log on a block PVC.

The image's start script renders ``server.properties`` from ``KAFKA_*`` variables into its own
config directory, so the root filesystem stays writable (explicit ``read_only_root_filesystem``).
Once any ``KAFKA_*`` variable is set the image ignores its default config, hence the full set.
"""

from __future__ import annotations

import base64
import uuid

from constructs import Construct

from envs import PlatformConfig
from platform_constructs.apps.common.service import cluster_service
from platform_constructs.base.workload import Container, Pod, Probe, stateful_set
from platform_constructs.capacity import memory_bytes
from platform_constructs.versions import IMAGES

KAFKA_PORT = 9092
CONTROLLER_PORT = 9093
KAFKA_UID = "1000"  # the image's appuser
DATA_DIR = "/var/lib/kafka/data"
LOG_DIR = f"{DATA_DIR}/logs"
"""A sub-directory: LogManager parses every directory of a log dir as <topic>-<partition> and aborts on the
``lost+found`` of a fresh block volume (kafka 4.1.1 LocalLog.parseTopicPartitionName, see image_facts)."""
MESSAGE_MAX_BYTES = 50_000_000  # Sentry sends large envelopes (matches the chart's externalKafka.message.max.bytes)


def cluster_id(seed: str) -> str:
    """A stable 22-character KRaft cluster id derived from ``seed`` (must never change)."""
    return base64.urlsafe_b64encode(uuid.uuid5(uuid.NAMESPACE_DNS, seed).bytes).decode().rstrip("=")


class Kafka(Construct):
    def __init__(self, scope: Construct, id_: str, *, config: PlatformConfig, namespace: str, name: str = "kafka") -> None:
        super().__init__(scope, id_)
        settings = config.apps.sentry
        self.name = name
        self.port = KAFKA_PORT
        self.host = f"{name}.{namespace}.svc.cluster.local"
        heap_mb = memory_bytes(settings.kafka_memory_limit) // 2 // 2**20  # half the limit: page cache needs the rest
        env = {
            "CLUSTER_ID": cluster_id(f"{config.cluster_name}-sentry-kafka"),
            "KAFKA_NODE_ID": "1",
            "KAFKA_PROCESS_ROLES": "broker,controller",
            "KAFKA_LISTENERS": f"PLAINTEXT://:{KAFKA_PORT},CONTROLLER://:{CONTROLLER_PORT}",
            "KAFKA_ADVERTISED_LISTENERS": f"PLAINTEXT://{self.host}:{KAFKA_PORT}",
            "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
            "KAFKA_CONTROLLER_QUORUM_VOTERS": f"1@localhost:{CONTROLLER_PORT}",
            "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "KAFKA_INTER_BROKER_LISTENER_NAME": "PLAINTEXT",
            "KAFKA_LOG_DIRS": LOG_DIR,  # the default is under /tmp
            "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": "1",
            "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": "1",
            "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": "1",
            "KAFKA_MESSAGE_MAX_BYTES": str(MESSAGE_MAX_BYTES),
            "KAFKA_LOG_RETENTION_HOURS": "24",
            "KAFKA_AUTO_CREATE_TOPICS_ENABLE": "true",  # safety net behind the chart's topic provisioning
            "KAFKA_HEAP_OPTS": f"-Xms{heap_mb}m -Xmx{heap_mb}m",
        }
        container = Container(
            name="kafka",
            image=IMAGES["kafka"],
            memory_request=settings.kafka_memory_request,
            memory_limit=settings.kafka_memory_limit,
            cpu_request="250m",
            ports={"kafka": KAFKA_PORT, "controller": CONTROLLER_PORT},
            env=env,
            mounts={"data": DATA_DIR},
            readiness=Probe(port=KAFKA_PORT, initial_delay_seconds=20),
            liveness=Probe(port=KAFKA_PORT, initial_delay_seconds=60, period_seconds=20),
            read_only_root_filesystem=False,
        )
        cluster_service(self, "service", name=name, namespace=namespace, app=name, ports={"kafka": KAFKA_PORT})
        self.workload = stateful_set(
            self,
            "statefulset",
            name=name,
            namespace=namespace,
            service_name=name,
            pod=Pod(containers=[container], run_as_user=KAFKA_UID),
            volume_claims={"data": (config.storage.block_class, settings.kafka_storage)},
        )
