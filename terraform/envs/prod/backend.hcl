bucket = "mlops-terraform-state-CHANGE-ME"
key    = "envs/prod/terraform.tfstate"
region = "eu-west-1"
