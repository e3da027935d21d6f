# The bucket of terraform/bootstrap: <terraform_prefix>-terraform-state-<account id>.
# BEGIN GENERATED services: state-bucket (make generate)
bucket = "mlops-terraform-state-CHANGE-ME"
# END GENERATED services: state-bucket
key    = "envs/staging/terraform.tfstate"
region = "eu-west-1"
