"""edXML (QCVN 102:2016/BTTTT) packages: reading document packages and building status packages."""

NAMESPACE = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
