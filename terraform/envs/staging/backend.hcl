bucket = "mlops-terraform-state-CHANGE-ME"
key    = "envs/staging/terraform.tfstate"
region = "eu-west-1"
