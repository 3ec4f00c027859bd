"""The emulator answers DescribeImages with ImageIds and Owners together as AWS does."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from emulator_support import Emulator  # noqa: E402

# A public AMI that moto ships, owned by an account other than the caller's.
AMI_ID = "ami-12c6146b"
ACCOUNT = "111111111111"


class DescribeImagesOwners(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.emulator = Emulator()
        cls.ec2 = cls.emulator.client("ec2", account=ACCOUNT)
        image = cls.ec2.describe_images(ImageIds=[AMI_ID])["Images"][0]
        cls.owner = image["OwnerId"]

    @classmethod
    def tearDownClass(cls):
        cls.emulator.stop()

    def ids(self, **kwargs):
        return [i["ImageId"] for i in self.ec2.describe_images(ImageIds=[AMI_ID], **kwargs)["Images"]]

    def test_image_of_listed_owner_returned(self):
        self.assertEqual(self.ids(Owners=[self.owner]), [AMI_ID])

    def test_image_of_other_owner_left_out(self):
        self.assertNotEqual(self.owner, "999999999999")
        self.assertEqual(self.ids(Owners=["999999999999"]), [])

    def test_self_means_the_callers_account(self):
        self.assertNotEqual(self.owner, ACCOUNT)
        self.assertEqual(self.ids(Owners=["self"]), [])

    def test_filters_apply_with_image_ids(self):
        self.assertEqual(self.ids(Filters=[{"Name": "name", "Values": ["no-such-name"]}]), [])


if __name__ == "__main__":
    unittest.main()
