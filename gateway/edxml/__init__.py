"""edXML packages in both dialects in use: QCVN 102:2016/BTTTT and the v2.2 connection guide of QĐ 28/2018/QĐ-TTg
(the Trục liên thông văn bản and the provincial LGSP/EDOC axes): reading document packages, building status
packages in the dialect the sender used."""

import enum

NAMESPACE = "http://www.mic.gov.vn/TBT/QCVN_102_2016"  # QCVN 102:2016: <edXML><edXMLEnvelope>…, MIME by ContentId
NAMESPACE_V22 = "http://www.go.vn/eDoc"  # v2.2: <edXMLEnvelope> root, inline base64 Attachment elements


class Dialect(enum.Enum):
    """Which edXML a package is written in; a status package answers in the same one."""

    QCVN_102 = "qcvn-102-2016"
    V22 = "edoc-2.2"

    @property
    def namespace(self) -> str:
        return NAMESPACE if self is Dialect.QCVN_102 else NAMESPACE_V22

    @classmethod
    def of_namespace(cls, namespace: str) -> "Dialect | None":
        """The dialect of a namespace URI (case-insensitive: builders differ in "eDoc"/"edoc"), or None."""
        lowered = namespace.strip().rstrip("/").lower()
        return next((d for d in cls if d.namespace.lower() == lowered), None)
