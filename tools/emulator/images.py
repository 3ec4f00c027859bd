"""DescribeImages with both ImageIds and Owners, as AWS answers it.

moto 5.2.5 ignores Owners (and Filters) when ImageIds is given
(moto/ec2/models/amis.py, AmiBackend.describe_images), so every listed image
comes back whoever owns it. AWS applies all three together: an image whose
owner is not listed is left out of the answer. The service relies on that to
check a project's allowed image owners before a launch.
"""

from moto.ec2.utils import generic_filter


def _owned_by(ami, owners, account_id):
    wanted = {account_id if owner == "self" else owner for owner in owners}
    return ami.owner_id in wanted or ami.owner_alias in wanted


def install():
    """Wrap moto's AmiBackend.describe_images once."""
    from moto.ec2.models.amis import AmiBackend

    original = AmiBackend.describe_images
    if getattr(original, "aws_hybrid_wrapped", False):
        return

    def describe_images(self, ami_ids=None, filters=None, exec_users=None, owners=None):
        images = original(self, ami_ids=ami_ids, filters=filters, exec_users=exec_users,
                          owners=owners)
        if not ami_ids:
            return images
        if owners:
            images = [ami for ami in images if _owned_by(ami, owners, self.account_id)]
        if filters:
            images = generic_filter(filters, images)
        return images

    describe_images.aws_hybrid_wrapped = True
    AmiBackend.describe_images = describe_images
