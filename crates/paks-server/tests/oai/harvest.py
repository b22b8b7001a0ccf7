"""Harvests a PAKS server with pyoai (a real OAI-PMH harvester, from PyPI) and validates every
response it receives against the OAI-PMH 2.0 and oai_dc XML schemas with lxml.

Usage: harvest.py BASE_URL SCHEMA_DIR. Prints a JSON summary for tests/oai_harvest.rs to check.
SCHEMA_DIR holds OAI-PMH.xsd, oai_dc.xsd, simpledc20021212.xsd and xml.xsd, as
scripts/setup-debian.sh test puts them in target/oai-venv/schemas.
"""

import datetime
import json
import os
import sys
import tempfile

from lxml import etree
from oaipmh import error
from oaipmh.client import Client
from oaipmh.metadata import MetadataRegistry, oai_dc_reader

OAI_NS = "http://www.openarchives.org/OAI/2.0/"


def load_schema(schema_dir):
    """One schema for a whole response: OAI-PMH.xsd validates its `metadata` strictly, so the
    oai_dc schema (and what it imports) must be known too. Remote schema locations are pointed
    at the local copies; nothing is fetched."""
    local = tempfile.mkdtemp(prefix="oai-schemas-")
    remote = {
        "http://dublincore.org/schemas/xmls/simpledc20021212.xsd": "simpledc20021212.xsd",
        "http://www.w3.org/2001/03/xml.xsd": "xml.xsd",
    }
    for name in ["OAI-PMH.xsd", "oai_dc.xsd", "simpledc20021212.xsd", "xml.xsd"]:
        with open(os.path.join(schema_dir, name), encoding="utf-8") as f:
            text = f.read()
        for url, file in remote.items():
            text = text.replace(url, file)
        with open(os.path.join(local, name), "w", encoding="utf-8") as f:
            f.write(text)
    driver = os.path.join(local, "driver.xsd")
    with open(driver, "w", encoding="utf-8") as f:
        f.write(
            '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
            '<xs:import namespace="http://www.openarchives.org/OAI/2.0/" schemaLocation="OAI-PMH.xsd"/>'
            '<xs:import namespace="http://www.openarchives.org/OAI/2.0/oai_dc/" schemaLocation="oai_dc.xsd"/>'
            "</xs:schema>"
        )
    return etree.XMLSchema(etree.parse(driver))


class ValidatingClient(Client):
    """pyoai's client, with every raw response checked against the schema first."""

    def __init__(self, base_url, registry, schema):
        super().__init__(base_url, registry)
        self.schema = schema
        self.validated = 0
        self.verbs = set()

    def makeRequest(self, **kw):
        xml = super().makeRequest(**kw)
        raw = xml if isinstance(xml, bytes) else xml.encode("utf-8")
        doc = etree.fromstring(raw)
        if not self.schema.validate(doc):
            raise AssertionError(f"{kw}: not valid OAI-PMH: {self.schema.error_log}\n{raw[:2000]!r}")
        self.validated += 1
        self.verbs.add(kw.get("verb"))
        return xml


def main():
    base_url, schema_dir = sys.argv[1], sys.argv[2]
    registry = MetadataRegistry()
    registry.registerReader("oai_dc", oai_dc_reader)
    client = ValidatingClient(base_url, registry, load_schema(schema_dir))

    # The schema must be able to say no: the server's own Identify, made invalid, is refused.
    raw = client.makeRequest(verb="Identify")
    raw = raw if isinstance(raw, bytes) else raw.encode("utf-8")
    broken = raw.replace(b"<deletedRecord>persistent<", b"<deletedRecord>sometimes<")
    assert broken != raw and not client.schema.validate(etree.fromstring(broken))

    identify = client.identify()
    records = []
    for header, metadata, _about in client.listRecords(metadataPrefix="oai_dc"):
        records.append(
            {
                "identifier": header.identifier(),
                "deleted": header.isDeleted(),
                "sets": header.setSpec(),
                "title": metadata.getField("title") if metadata else None,
                "coverage": metadata.getField("coverage") if metadata else None,
                "subject": metadata.getField("subject") if metadata else None,
                "identifier_url": metadata.getField("identifier") if metadata else None,
            }
        )

    def identifiers(**kw):
        return [h.identifier() for h in client.listIdentifiers(metadataPrefix="oai_dc", **kw)]

    by_set = {s: identifiers(set=s) for s in ["country:LAO", "country:BTN", "mdg:8", "sdg:16"]}
    everything = identifiers(
        from_=datetime.datetime(2000, 1, 1), until=datetime.datetime(2999, 1, 1)
    )
    try:
        identifiers(until=datetime.datetime(2000, 1, 1))
        none_before_2000 = "records"
    except error.NoRecordsMatchError:
        none_before_2000 = "noRecordsMatch"
    sets = [s[0] for s in client.listSets()]
    formats = [f[0] for f in client.listMetadataFormats()]
    first = records[0]["identifier"]
    header, metadata, _ = client.getRecord(identifier=first, metadataPrefix="oai_dc")
    try:
        client.getRecord(identifier="oai:paks:no-such-case", metadataPrefix="oai_dc")
        missing = "found"
    except error.IdDoesNotExistError:
        missing = "idDoesNotExist"
    try:
        client.getRecord(identifier=first, metadataPrefix="marc21")
        format_error = "answered"
    except error.CannotDisseminateFormatError:
        format_error = "cannotDisseminateFormat"

    print(
        json.dumps(
            {
                "repository_name": identify.repositoryName(),
                "granularity": identify.granularity(),
                "deleted_record": identify.deletedRecord(),
                "records": records,
                "by_set": by_set,
                "from_until": everything,
                "until_2000": none_before_2000,
                "sets": sets,
                "formats": formats,
                "get_record_title": metadata.getField("title"),
                "missing": missing,
                "format_error": format_error,
                "validated_responses": client.validated,
                "verbs": sorted(v for v in client.verbs if v),
            },
            ensure_ascii=False,
        )
    )


main()
