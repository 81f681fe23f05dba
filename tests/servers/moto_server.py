"""moto's server, with one gap closed: SAML provider tags.

AWS keeps the tags given to CreateSAMLProvider, returns them from GetSAMLProvider and
implements TagSAMLProvider / UntagSAMLProvider / ListSAMLProviderTags. moto 5.2.5 drops the
tags and answers those three actions with HTTP 500, so an ownership tag on a SAML provider
cannot be tested against it. This launcher stores SAML provider tags in moto's own tagging
service and answers those actions the way IAM does; everything else is moto unchanged.

Usage: python moto_server.py -H 127.0.0.1 -p PORT   (the same arguments as moto_server)
"""
import sys

from moto.core.responses import ActionResult, EmptyResult
from moto.iam import models, responses


def _backend_for(provider):
    return models.iam_backends[provider.account_id][models.get_partition(provider.region_name)]


def _tags(self):
    return _backend_for(self).tagger.list_tags_for_resource(self.arn)["Tags"]


models.SAMLProvider.tags = property(_tags)
models.SAMLProvider.Tags = property(_tags)


def create_saml_provider(self):
    name = self._get_param("Name")
    document = self._get_param("SAMLMetadataDocument")
    provider = self.backend.create_saml_provider(name, document)
    self.backend.tagger.tag_resource(provider.arn, self._get_param("Tags", []))
    return ActionResult({"SAMLProviderArn": provider.arn})


def delete_saml_provider(self):
    arn = self._get_param("SAMLProviderArn")
    self.backend.delete_saml_provider(arn)
    self.backend.tagger.delete_all_tags_for_resource(arn)
    return EmptyResult()


def tag_saml_provider(self):
    arn = self._get_param("SAMLProviderArn")
    self.backend.get_saml_provider(arn)
    self.backend.tagger.tag_resource(arn, self._get_param("Tags", []))
    return EmptyResult()


def untag_saml_provider(self):
    arn = self._get_param("SAMLProviderArn")
    self.backend.get_saml_provider(arn)
    self.backend.tagger.untag_resource_using_names(arn, self._get_param("TagKeys", []))
    return EmptyResult()


def list_saml_provider_tags(self):
    arn = self._get_param("SAMLProviderArn")
    self.backend.get_saml_provider(arn)
    tags = self.backend.tagger.list_tags_for_resource(arn)["Tags"]
    return ActionResult({"Tags": tags, "IsTruncated": False})


responses.IamResponse.create_saml_provider = create_saml_provider
responses.IamResponse.delete_saml_provider = delete_saml_provider
responses.IamResponse.tag_saml_provider = tag_saml_provider
responses.IamResponse.untag_saml_provider = untag_saml_provider
responses.IamResponse.list_saml_provider_tags = list_saml_provider_tags

if __name__ == "__main__":
    from moto.server import main

    sys.exit(main())
