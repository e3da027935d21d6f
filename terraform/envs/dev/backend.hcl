bucket = "mlops-terraform-state-CHANGE-ME"
key    = "envs/dev/terraform.tfstate"
region = "eu-west-1"
